import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseAllDocuments, stringify } from 'yaml';
import { InputError } from '../errors.js';
import { shellJoin } from '../quote.js';
import { defineModule, type ModuleResult } from './types.js';

export interface KubectlApplyArgs {
  definition?: string | Record<string, unknown> | Record<string, unknown>[];
  src?: string;
  kubeconfig?: string;
  namespace?: string;
  wait?: boolean;
  wait_timeout?: number;
}

interface Obj {
  kind?: string;
  metadata?: { name?: string; namespace?: string };
}

/** The manifest as YAML text (several documents allowed) plus the objects it holds. */
export function manifestOf(def: KubectlApplyArgs['definition']): { text: string; objects: Obj[] } {
  if (typeof def === 'string') {
    const docs = parseAllDocuments(def);
    const objects: Obj[] = [];
    for (const d of docs) {
      if (d.errors.length) throw new InputError(`kubectl_apply: definition is not valid YAML: ${d.errors[0]!.message}`);
      const v = d.toJS() as unknown;
      if (v && typeof v === 'object') {
        // `kind: List` and arrays of objects are both common.
        const items = Array.isArray(v) ? v : (v as { kind?: string; items?: unknown[] }).kind === 'List' ? (v as { items?: unknown[] }).items ?? [] : [v];
        objects.push(...(items as Obj[]));
      }
    }
    return { text: def.endsWith('\n') ? def : `${def}\n`, objects };
  }
  const list = Array.isArray(def) ? def : def ? [def] : [];
  return { text: list.map((o) => stringify(o)).join('---\n'), objects: list as Obj[] };
}

const ROLLOUT_KINDS = new Set(['Deployment', 'DaemonSet', 'StatefulSet']);

/**
 * One round trip: write the manifest to a temp file (a quoted here-document: no upload), `kubectl
 * diff` (0 same, 1 differs, >1 error), then unless check: `kubectl apply --server-side`, and with
 * wait: `kubectl rollout status` for each Deployment/DaemonSet/StatefulSet. Prints `@@state=…`.
 */
export function kubectlApplyScript(a: KubectlApplyArgs, text: string, objects: Obj[], check: boolean, nonce = randomBytes(8).toString('hex')): string {
  const eof = `FABRIC_EOF_${nonce}`;
  if (text.split('\n').includes(eof)) throw new Error('manifest contains the here-document delimiter');
  const k = ['kubectl', ...(a.kubeconfig ? ['--kubeconfig', a.kubeconfig] : []), ...(a.namespace ? ['--namespace', a.namespace] : [])];
  const kube = shellJoin(k);
  const lines = [
    `f=$(mktemp /tmp/.fabric-kube-XXXXXX) || exit 2`,
    `trap 'rm -f -- "$f"' EXIT`,
    `cat > "$f" <<'${eof}'`,
    text.replace(/\n$/, ''),
    eof,
    `${kube} diff -f "$f"; rc=$?`,
    'if [ "$rc" -eq 0 ]; then echo @@state=same; exit 0; fi',
    'if [ "$rc" -ne 1 ]; then echo "kubectl diff failed (rc $rc)" >&2; exit "$rc"; fi',
    'echo @@state=differs',
  ];
  if (!check) {
    lines.push(`${kube} apply --server-side --field-manager=fabric -f "$f" >&2 || exit $?`, 'echo @@state=applied');
    if (a.wait) {
      for (const o of objects) {
        if (!o.kind || !ROLLOUT_KINDS.has(o.kind) || !o.metadata?.name) continue;
        const ns = o.metadata.namespace ? ['--namespace', o.metadata.namespace] : [];
        lines.push(`${kube} ${shellJoin(['rollout', 'status', ...ns, `${o.kind.toLowerCase()}/${o.metadata.name}`, `--timeout=${a.wait_timeout ?? 300}s`])} >&2 || exit $?`);
      }
    }
  }
  return lines.join('\n');
}

export default defineModule<KubectlApplyArgs>({
  name: 'kubectl_apply',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      definition: {
        anyOf: [{ type: 'string', minLength: 1 }, { type: 'object' }, { type: 'array', items: { type: 'object' } }],
        description: 'Inline manifest: YAML text (several documents allowed), an object or a list of objects.',
      },
      src: { type: 'string', minLength: 1, description: "Manifest file from the role's files/ (on the controller)." },
      kubeconfig: { type: 'string', minLength: 1 },
      namespace: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' },
      wait: { type: 'boolean', description: 'After applying, wait for every Deployment/DaemonSet/StatefulSet in the manifest to roll out.' },
      wait_timeout: { type: 'integer', minimum: 1, description: 'Seconds per rollout wait (default 300).' },
    },
  },
  validate(a, sctx) {
    if ((a.definition === undefined) === (a.src === undefined)) throw new InputError("kubectl_apply: give exactly one of 'definition' or 'src'");
    if (a.src) manifestOf(readFileSync(sctx.resolveFile('files', a.src), 'utf8'));
    else manifestOf(a.definition);
  },
  async run(a, ctx) {
    const { text, objects } = manifestOf(a.src ? readFileSync(ctx.resolveFile('files', a.src), 'utf8') : a.definition);
    const timeoutMs = ((a.wait ? (a.wait_timeout ?? 300) * Math.max(1, objects.length) : 0) + 300) * 1000;
    const r = await ctx.exec(kubectlApplyScript(a, text, objects, ctx.check), { timeoutMs });
    const state = [...r.stdout.matchAll(/^@@state=(\w+)$/gm)].map((m) => m[1]).pop();
    const diffText = r.stdout.replace(/^@@state=\w+\n?/gm, '');
    const base: ModuleResult = { changed: state === 'differs' || state === 'applied', objects: objects.length, ...(ctx.diff && diffText.trim() ? { diff: [{ before: '', after: diffText }] } : {}) };
    if (r.rc !== 0) return { ...base, failed: true, rc: r.rc, stderr: r.stderr, msg: r.stderr.trim().split('\n').slice(-3).join(' | ') || `kubectl failed (rc ${r.rc})` };
    return base;
  },
});
