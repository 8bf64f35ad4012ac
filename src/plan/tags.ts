/** Ansible's tag selection, resolved statically so --list-tasks shows exactly what runs. */
export interface TagFilter {
  tags: string[]; // --tags (empty: all)
  skipTags: string[]; // --skip-tags
}

export function selectedByTags(taskTags: readonly string[], f: TagFilter): boolean {
  const has = (t: string) => taskTags.includes(t);
  if (f.skipTags.some((t) => has(t) || (t === 'tagged' && taskTags.length > 0) || (t === 'untagged' && taskTags.length === 0))) return false;
  if (has('never') && !f.tags.some((t) => t !== 'all' && has(t))) return false;
  if (!f.tags.length || f.tags.includes('all')) return true;
  if (has('always')) return true;
  return f.tags.some((t) => has(t) || (t === 'tagged' && taskTags.length > 0) || (t === 'untagged' && taskTags.length === 0));
}

export function splitTags(values: readonly string[] | undefined): string[] {
  return (values ?? []).flatMap((v) => v.split(',')).map((t) => t.trim()).filter(Boolean);
}
