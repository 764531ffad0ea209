// What one sync of a repository does, decided from the files that changed and the bindings held:
// which files to import, which bindings to move or drop, which files conflict. Pure.
import type { RepositoryBindingView } from './repository-binding-view.js';

/** A story file that was added or changed (or renamed: `previousPath`), and the id it holds. */
export interface ChangedStoryFile {
  path: string;
  previousPath?: string;
  blobSha: string;
  /** The story id of its frontmatter, or why the file is not a story storyflow accepts. */
  parsed: { id: string } | { error: string };
}

export interface RepositorySyncPlan {
  /** Files to import, each bound to its path afterwards (a rename moves the binding). */
  imports: { path: string; previousPath?: string; blobSha: string; storyId: string }[];
  /** Bindings that end: the file was deleted, or now holds another story's id. */
  unbinds: { path: string; storyId: string; cause: 'deleted' | 'id-changed' }[];
  /** One id in several files: none of them is imported, each stays as it was. */
  conflicts: { storyId: string; paths: string[] }[];
  errors: { path: string; message: string }[];
}

/**
 * @example
 * planRepositorySync([], [{ path: 'a.md', blobSha: 'b1', parsed: { id: 'INT-1' } }], [])
 * // { imports: [{ path: 'a.md', blobSha: 'b1', storyId: 'INT-1' }], unbinds: [], … }
 */
export function planRepositorySync(
  bindings: readonly RepositoryBindingView[],
  changed: readonly ChangedStoryFile[],
  deletedPaths: readonly string[],
): RepositorySyncPlan {
  const plan: RepositorySyncPlan = { imports: [], unbinds: [], conflicts: [], errors: [] };
  // Where every story stays bound once deletions and renames are applied, before imports.
  const bound = new Map(bindings.map((binding) => [binding.path, binding.storyId]));
  const removed = new Map<string, string>();
  for (const path of deletedPaths) {
    const storyId = bound.get(path);
    if (storyId !== undefined) removed.set(path, storyId);
    bound.delete(path);
  }
  for (const file of changed) {
    if (file.previousPath === undefined) continue;
    const storyId = bound.get(file.previousPath);
    bound.delete(file.previousPath);
    if (storyId !== undefined) bound.set(file.path, storyId);
  }

  const byId = new Map<string, ChangedStoryFile[]>();
  for (const file of changed) {
    if ('error' in file.parsed) {
      plan.errors.push({ path: file.path, message: file.parsed.error });
      continue;
    }
    const files = byId.get(file.parsed.id);
    if (files === undefined) byId.set(file.parsed.id, [file]);
    else files.push(file);
  }
  const changedPaths = new Set(changed.map((file) => file.path));
  // Indexes by story id, so a whole-tree sync of thousands of files stays linear.
  const boundPathsOf = new Map<string, string[]>();
  for (const [path, id] of bound) {
    const paths = boundPathsOf.get(id);
    if (paths === undefined) boundPathsOf.set(id, [path]);
    else paths.push(path);
  }
  const removedPathOf = new Map<string, string>();
  for (const [path, id] of removed) if (!removedPathOf.has(id)) removedPathOf.set(id, path);
  const imported = new Set<string>();
  for (const [storyId, files] of byId) {
    const elsewhere = (boundPathsOf.get(storyId) ?? []).filter((path) => !changedPaths.has(path));
    if (files.length + elsewhere.length > 1) {
      const paths = [...files.map((file) => file.path), ...elsewhere].sort();
      plan.conflicts.push({ storyId, paths });
      continue;
    }
    const file = files[0] as ChangedStoryFile;
    imported.add(storyId);
    // A story whose file was deleted and appears at another path (a move git saw as a delete and
    // an add, or a whole-tree sync) moves its binding, as a rename does.
    const previousPath = file.previousPath ?? removedPathOf.get(storyId);
    plan.imports.push({
      path: file.path,
      ...(previousPath === undefined || previousPath === file.path ? {} : { previousPath }),
      blobSha: file.blobSha,
      storyId,
    });
    const before = bound.get(file.path);
    if (before !== undefined && before !== storyId && !imported.has(before)) {
      plan.unbinds.push({ path: file.path, storyId: before, cause: 'id-changed' });
    }
  }
  // A deleted file whose story reappears at another path in the same change was moved by hand.
  for (const [path, storyId] of removed) {
    if (!imported.has(storyId) && !boundPathsOf.has(storyId)) {
      plan.unbinds.push({ path, storyId, cause: 'deleted' });
    }
  }
  plan.conflicts.sort((a, b) => a.storyId.localeCompare(b.storyId));
  return plan;
}
