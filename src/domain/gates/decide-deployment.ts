// The deployment gate's verdict (GET /api/v1/gates/deployment), pure: given the stories a
// deployment would ship and the statuses the environment requires, allow or deny, and why.

export interface GateStory {
  id: string;
  status: string;
}

export interface GateVerdict {
  decision: 'allow' | 'deny';
  stories: { id: string; status: string; required: string[] }[];
  reasons: string[];
}

/**
 * Deny when a shipped story is not in one of `required` (one reason per story, e.g.
 * "INT-003 is in_review; production requires accepted"); `required` undefined means the
 * environment has no gate: allow, and say so. `truncated`: more stories than were read.
 */
export function decideDeployment(input: {
  environment: string;
  required: readonly string[] | undefined;
  stories: readonly GateStory[];
  truncated: boolean;
}): GateVerdict {
  const { environment, required } = input;
  if (required === undefined) {
    return {
      decision: 'allow',
      stories: input.stories.map((story) => ({ id: story.id, status: story.status, required: [] })),
      reasons: [`no gate is configured for ${environment}: every deployment to it is allowed`],
    };
  }
  const reasons: string[] = [];
  for (const story of input.stories) {
    if (!required.includes(story.status))
      reasons.push(
        `${story.id} is ${story.status}; ${environment} requires ${required.join(' or ')}`,
      );
  }
  if (input.truncated)
    reasons.push(
      `more than ${input.stories.length} stories would be shipped; only the first ` +
        `${input.stories.length} were checked`,
    );
  return {
    decision: reasons.length === 0 ? 'allow' : 'deny',
    stories: input.stories.map((story) => ({
      id: story.id,
      status: story.status,
      required: [...required],
    })),
    reasons,
  };
}
