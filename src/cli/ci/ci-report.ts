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
  operations: OperationLike[];
  dryRun?: boolean;
}

export function summaryLines(report: CiReport): string[] {
  const lines: string[] = [];
  const head = report.dryRun ? 'storyflow (dry run) would' : 'storyflow';
  const changes = report.operations.flatMap((operation) => operation.changes ?? []);
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
    ...new Set(report.operations.flatMap((op) => (op.changes ?? []).map((change) => change.story))),
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
