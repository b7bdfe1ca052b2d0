/**
 * memory: the service's RSS, sampled every 100 ms through the whole run and
 * its VmHWM, kept per phase (cumulative within a service run); reported last
 * as the peak over every run of the service.
 */
import { round } from "../common";
import type { Service } from "../processes";
import type { Report } from "../report";

export class ServiceMemory {
  private readonly peaks: { phase: string; peakMb: number }[] = [];

  constructor(private readonly service: Service) {}

  /** Notes the current service run's peak so far, at the end of a phase. */
  phasePeak(phase: string) {
    this.peaks.push({ phase, peakMb: round(this.service.sampler.peakMb, 1) });
  }

  /** The peak RSS of every service run (call once the service is stopped). */
  report(report: Report) {
    const peak = Math.max(...this.peaks.map((p) => p.peakMb), this.service.sampler.peakMb);
    const restarted = this.service.runs > 1 ? " (the service was restarted once the log was filled)" : "";
    report.add("memory.service_peak_rss_mb", peak, "MB", {
      note: `sampled every 100 ms and VmHWM; cumulative per phase: ${this.peaks.map((p) => `${p.phase} ${p.peakMb} MB`).join(", ")}${restarted}`,
    });
  }
}
