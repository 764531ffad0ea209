/** What can be linked to a story. */
export const LINK_TYPES = ['branch', 'commit', 'pr', 'pipeline', 'deployment'] as const;
export type LinkType = (typeof LINK_TYPES)[number];
