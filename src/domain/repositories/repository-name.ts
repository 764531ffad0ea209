// Repository names as forges compare them. GitHub, GitLab, Gitea/Forgejo, Bitbucket and Azure
// DevOps all treat `owner/name` case-insensitively (acme/Shop and ACME/shop are one repository,
// and events may spell it either way), so storyflow does too; the config's spelling is the one
// it shows and keys its state by.

/** Whether two `owner/name`s are the same repository. */
export function sameRepositoryName(a: string, b: string): boolean {
  return repositoryNameKey(a) === repositoryNameKey(b);
}

/** The form two spellings of one repository share. */
export function repositoryNameKey(name: string): string {
  return name.toLowerCase();
}
