// What the sync plan needs to know of a binding: which story a repository path is bound to.
export interface RepositoryBindingView {
  path: string;
  storyId: string;
}
