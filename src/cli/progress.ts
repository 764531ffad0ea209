// Progress for long commands: a bar on an interactive terminal, silence otherwise
// (the summary line is always printed by the command itself).
import { Presets, SingleBar } from 'cli-progress';

export interface Progress {
  start(total: number): void;
  advance(by: number): void;
  stop(): void;
}

export function createProgress(
  label: string,
  stream: NodeJS.WriteStream = process.stderr,
): Progress {
  if (!stream.isTTY) return { start() {}, advance() {}, stop() {} };
  const bar = new SingleBar(
    { format: `${label} [{bar}] {value}/{total}`, stream, hideCursor: true, clearOnComplete: true },
    Presets.shades_classic,
  );
  return {
    start: (total) => bar.start(total, 0),
    advance: (by) => bar.increment(by),
    stop: () => bar.stop(),
  };
}
