// What a step prints: a short human summary (or JSON), and on GitHub Actions a job summary
// and step outputs.
import { appendFileSync } from 'node:fs';

interface OperationLike {
  id?: string | null;
  changes?: { story: string; field: string; before: unknown; after: unknown }[];
  trigger?: { rule?: string };
}

export interface CiReport {
  command: string;
  delivery?: string;
  duplicate?: boolean;
  /** The answer is the stored one of an earlier request with the same Idempotency-Key. */
  replayed?: boolean;
  operations: OperationLike[];
  /** `ci status`: the story as the transition left it. */
  story?: { id: string; status: string; version: number };
  /** `ci link`: how many links were recorded. */
  linked?: number;
  dryRun?: boolean;
}

export function summaryLines(report: CiReport): string[] {
  const lines: string[] = [];
  const head = report.dryRun ? 'storyflow (dry run) would' : 'storyflow';
  const changes = report.operations.flatMap((operation) => operation.changes ?? []);
  if (report.replayed) {
    lines.push(
      `${head}: ${report.command} was already reported; nothing changed now. The first report:`,
    );
  }
  if (report.story !== undefined) {
    const { id, status, version } = report.story;
    lines.push(`${head}: ${id} status: ${status} (version ${version})`);
    return lines;
  }
  if (report.linked !== undefined) {
    lines.push(`${head}: ${report.command}: ${report.linked} link(s) recorded`);
    return lines;
  }
  if (changes.length === 0) {
    lines.push(
      `${head}: ${report.command} reported${report.duplicate ? ' (already reported)' : ''}; no story changed`,
    );
  }
  for (const change of changes) {
    lines.push(
      `${head}: ${change.story} ${change.field}: ${show(change.before)} → ${show(change.after)}`,
    );
  }
  return lines;
}

function show(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'string') return value.length > 60 ? `${value.slice(0, 57)}…` : value;
  return JSON.stringify(value);
}

/** GITHUB_STEP_SUMMARY (markdown) and GITHUB_OUTPUT (`name=value` lines), when set. */
export function writeGithubOutputs(
  env: Record<string, string | undefined>,
  report: CiReport,
): void {
  const stories = [
    ...new Set([
      ...report.operations.flatMap((op) => (op.changes ?? []).map((change) => change.story)),
      ...(report.story === undefined || report.replayed ? [] : [report.story.id]),
    ]),
  ];
  if (env.GITHUB_OUTPUT) {
    appendFileSync(
      env.GITHUB_OUTPUT,
      `delivery=${report.delivery ?? ''}\noperations=${report.operations.length}\nstories=${stories.join(',')}\n`,
    );
  }
  if (env.GITHUB_STEP_SUMMARY) {
    const rows = report.operations.flatMap((operation) =>
      (operation.changes ?? []).map(
        (change) =>
          `| ${change.story} | ${change.field} | ${show(change.before)} | ${show(change.after)} | ${operation.trigger?.rule ?? ''} |`,
      ),
    );
    if (report.story !== undefined && !report.replayed) {
      rows.push(`| ${report.story.id} | status | | ${report.story.status} | |`);
    }
    const table =
      rows.length === 0
        ? '_No story changed._\n'
        : `| story | field | before | after | rule |\n| --- | --- | --- | --- | --- |\n${rows.join('\n')}\n`;
    appendFileSync(
      env.GITHUB_STEP_SUMMARY,
      `### storyflow: ${report.command}${report.dryRun ? ' (dry run)' : ''}\n\n${table}\n`,
    );
  }
}
