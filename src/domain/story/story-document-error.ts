/** One problem found in a story document. */
export interface StoryIssue {
  /** The frontmatter field the problem is about, when it is about one. */
  field?: string;
  /** 1-based line number in the whole document, when known. */
  line?: number;
  message: string;
}

function describe(issue: StoryIssue): string {
  const where = [
    issue.line === undefined ? undefined : `line ${issue.line}`,
    issue.field === undefined ? undefined : `field "${issue.field}"`,
  ].filter((part) => part !== undefined);
  return where.length === 0 ? issue.message : `${where.join(', ')}: ${issue.message}`;
}

/** A story document that cannot be read, or a change that would make it invalid. */
export class StoryDocumentError extends Error {
  readonly issues: StoryIssue[];

  constructor(issues: StoryIssue[], message?: string) {
    super(message ?? `invalid story document: ${issues.map(describe).join('; ')}`);
    this.name = 'StoryDocumentError';
    this.issues = issues;
  }
}
