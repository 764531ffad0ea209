// The fields every Azure DevOps-derived event shares. A service hook names its repository by
// project and repository name (`resource.repository.name`, `.project.name`); storyflow's
// repository path is `<project>/<repository>`, spaces written %20 as in Azure DevOps' own URLs.

import { isRepositoryPath, type NormalizedEvent } from '../../domain/events/normalized-event.js';
import {
  arrayAt,
  booleanAt,
  isObject,
  type JsonObject,
  objectAt,
  stringAt,
} from '../payload-fields.js';

export type AzureDevopsEventBase = Pick<
  NormalizedEvent,
  'provider' | 'repository' | 'repositoryId' | 'defaultBranch'
>;

export const NO_REPOSITORY =
  'payload names no project and repository (resource.repository.name and its project.name)';

/** `<project>/<repository>`, or undefined when either is missing or the path is not valid. */
export function azureDevopsRepositoryPath(
  project: string | undefined,
  repository: string | undefined,
): string | undefined {
  if (project === undefined || repository === undefined) return undefined;
  const path = `${encodeSegment(project)}/${encodeSegment(repository)}`;
  return isRepositoryPath(path) ? path : undefined;
}

function encodeSegment(name: string): string {
  return name.replace(/ /g, '%20');
}

/** A branch from a full ref (`refs/heads/<branch>`); undefined for any other ref. */
export function branchOfRef(ref: string | undefined): string | undefined {
  if (ref === undefined || !ref.startsWith('refs/heads/')) return undefined;
  return ref.slice('refs/heads/'.length) || undefined;
}

/**
 * A git repository object (`{ id, name, project: { name }, defaultBranch }`, as in git.push and
 * git.pullrequest.*) → the base, or undefined without a project and repository name.
 */
export function gitRepositoryBase(repository: unknown): AzureDevopsEventBase | undefined {
  const path = azureDevopsRepositoryPath(
    stringAt(repository, 'project', 'name'),
    stringAt(repository, 'name'),
  );
  if (path === undefined) return undefined;
  return {
    provider: 'azure-devops',
    repository: path,
    repositoryId: stringAt(repository, 'id'),
    defaultBranch: branchOfRef(stringAt(repository, 'defaultBranch')),
  };
}

/** The primary artifact of a release (or its first), from wherever the payload carries it. */
export function primaryArtifact(resource: unknown): JsonObject | undefined {
  const artifacts = [
    ...arrayAt(resource, 'deployment', 'release', 'artifacts'),
    ...arrayAt(resource, 'release', 'artifacts'),
    ...arrayAt(resource, 'environment', 'release', 'artifacts'),
  ].filter(isObject);
  return artifacts.find((artifact) => booleanAt(artifact, 'isPrimary') === true) ?? artifacts[0];
}

/**
 * A value of a release artifact's `definitionReference` (`{ repository: { id, name } }`, …);
 * Azure DevOps documents some keys capitalized (`Definition`, `Project`), so both are read.
 */
export function artifactReference(artifact: unknown, key: string, field: 'id' | 'name') {
  const capitalized = key.charAt(0).toUpperCase() + key.slice(1);
  return (
    stringAt(artifact, 'definitionReference', key, field) ??
    stringAt(artifact, 'definitionReference', capitalized, field)
  );
}

/** Repository path of the repository an event's resource names, or null (for the inbox). */
export function azureDevopsRepositoryOf(payload: unknown): string | null {
  const resource = objectAt(payload, 'resource');
  const git = gitRepositoryBase(objectAt(resource, 'repository'));
  if (git !== undefined) return git.repository;
  return buildRepositoryPath(resource) ?? deploymentRepositoryPath(resource) ?? null;
}

/** A build's `<project>/<repository>` (resource.project.name, resource.repository.name). */
export function buildRepositoryPath(resource: unknown): string | undefined {
  return azureDevopsRepositoryPath(
    stringAt(resource, 'project', 'name') ?? stringAt(resource, 'definition', 'project', 'name'),
    stringAt(resource, 'repository', 'name'),
  );
}

/** A release deployment's `<project>/<repository>`, from its primary artifact's source. */
export function deploymentRepositoryPath(resource: unknown): string | undefined {
  const artifact = primaryArtifact(resource);
  return azureDevopsRepositoryPath(
    artifactReference(artifact, 'project', 'name') ?? stringAt(resource, 'project', 'name'),
    artifactReference(artifact, 'repository', 'name'),
  );
}
