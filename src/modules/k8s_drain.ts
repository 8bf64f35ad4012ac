import { InputError } from '../errors.js';
import { shellJoin } from '../quote.js';
import { defineFact } from './lib/facts.js';
import { defineModule, type ModuleResult } from './types.js';

export interface DeleteOptions {
  terminate_grace_period?: number;
  force?: boolean;
  ignore_daemonsets?: boolean;
  delete_emptydir_data?: boolean;
  disable_eviction?: boolean;
  wait_timeout?: number;
  wait_sleep?: number;
}

export interface K8sDrainArgs {
  name: string;
  state?: 'drain' | 'cordon' | 'uncordon';
  delete_options?: DeleteOptions;
  kubeconfig?: string;
  context?: string;
}

/** kubectl drain waits for every eviction; without wait_timeout it would wait forever, so this bounds it. */
export const DEFAULT_DRAIN_TIMEOUT = 600;

export const kubectl = (a: K8sDrainArgs, ...args: string[]) => ['kubectl', ...(a.kubeconfig ? ['--kubeconfig', a.kubeconfig] : []), ...(a.context ? ['--context', a.context] : []), ...args];

/** One pod on the node, as the fact lists it. */
export interface NodePod {
  namespace: string;
  name: string;
  phase: string;
  owners: string[];
  mirror: boolean;
}

export interface NodeState {
  /** kubectl could not read the node: why (not found, no cluster, no kubectl). */
  error?: string;
  unschedulable: boolean;
  /** Listed for drain only. */
  pods: NodePod[];
}

const POD_PATH = '{range .items[*]}{.metadata.namespace}{"\\t"}{.metadata.name}{"\\t"}{.status.phase}{"\\t"}{.metadata.ownerReferences[*].kind}{"\\t"}{.metadata.annotations.kubernetes\\.io/config\\.mirror}{"\\n"}{end}';

/** The script: the node's spec.unschedulable, and for drain the pods bound to it, through kubectl on the host. */
export function nodeProbeScript(a: K8sDrainArgs): string {
  const lines = [
    "command -v kubectl >/dev/null 2>&1 || { echo '@@error kubectl is not installed on this host (k8s_drain runs kubectl there)'; exit 0; }",
    `if ! u=$(${shellJoin(kubectl(a, 'get', 'node', a.name, '-o', 'jsonpath={.spec.unschedulable}'))} 2>&1); then printf '@@error %s\\n' "$u"; exit 0; fi`,
    'printf "@@unschedulable=%s\\n" "$u"',
  ];
  if ((a.state ?? 'drain') === 'drain') lines.push('echo @@pods', `${shellJoin(kubectl(a, 'get', 'pods', '--all-namespaces', `--field-selector=spec.nodeName=${a.name}`, '-o', `jsonpath=${POD_PATH}`))} || echo "@@error listing the pods on the node failed"`);
  return lines.join('\n');
}

export function parseNodeProbe(out: string): NodeState {
  const err = /^@@error (.*)$/ms.exec(out);
  if (err && !out.includes('@@pods')) return { error: err[1]!.trim(), unschedulable: false, pods: [] };
  const unschedulable = /^@@unschedulable=true$/m.test(out);
  const podText = out.includes('@@pods\n') ? out.slice(out.indexOf('@@pods\n') + 7) : '';
  if (/^@@error /m.test(podText)) return { error: podText.trim(), unschedulable, pods: [] };
  const pods = podText
    .split('\n')
    .filter((l) => l.includes('\t'))
    .map((l) => {
      const [namespace = '', name = '', phase = '', owners = '', mirror = ''] = l.split('\t');
      return { namespace, name, phase, owners: owners.split(/\s+/).filter(Boolean), mirror: mirror !== '' };
    });
  return { unschedulable, pods };
}

/** The pods kubectl drain evicts or deletes: not mirror pods, not DaemonSet pods when they are ignored. */
export function evictedPods(pods: NodePod[], o: DeleteOptions): NodePod[] {
  return pods.filter((p) => !p.mirror && !(o.ignore_daemonsets && p.owners.includes('DaemonSet')));
}

/** The kubectl command for the state, with delete_options as kubectl drain's flags. */
export function drainCommand(a: K8sDrainArgs): string[] {
  const state = a.state ?? 'drain';
  if (state !== 'drain') return kubectl(a, state, a.name);
  const o = a.delete_options ?? {};
  return kubectl(
    a,
    'drain',
    a.name,
    ...(o.force ? ['--force'] : []),
    ...(o.ignore_daemonsets ? ['--ignore-daemonsets'] : []),
    ...(o.delete_emptydir_data ? ['--delete-emptydir-data'] : []),
    ...(o.disable_eviction ? ['--disable-eviction'] : []),
    ...(o.terminate_grace_period !== undefined ? [`--grace-period=${o.terminate_grace_period}`] : []),
    `--timeout=${o.wait_timeout ?? DEFAULT_DRAIN_TIMEOUT}s`,
  );
}

/** What the task does to the node: the command (none when already there) and Ansible's `result` text. */
export function drainPlan(a: K8sDrainArgs, n: NodeState): { command?: string[]; result: string } {
  const state = a.state ?? 'drain';
  if (state === 'cordon') return n.unschedulable ? { result: `node ${a.name} already marked unschedulable.` } : { command: drainCommand(a), result: `node ${a.name} marked unschedulable.` };
  if (state === 'uncordon') return n.unschedulable ? { command: drainCommand(a), result: `node ${a.name} marked schedulable.` } : { result: `node ${a.name} already marked schedulable.` };
  const pods = evictedPods(n.pods, a.delete_options ?? {});
  const parts = [n.unschedulable ? `node ${a.name} already marked unschedulable.` : `node ${a.name} marked unschedulable.`, ...(pods.length ? [`${pods.length} Pod(s) deleted from node.`] : [])];
  return { ...(n.unschedulable && !pods.length ? {} : { command: drainCommand(a) }), result: parts.join(' ') };
}

const nodeFact = defineFact(nodeProbeScript, (r) => parseNodeProbe(r.stdout));

/**
 * kubernetes.core.k8s_drain through kubectl on the host (drain, cordon, uncordon), not the Python
 * client. One round trip reads the node (and for drain its pods); a node already in the state asked
 * costs that one. In check mode the result carries the kubectl command that would run.
 */
export default defineModule({
  name: 'k8s_drain',
  schema: {
    type: 'object',
    additionalProperties: false,
    required: ['name'],
    properties: {
      name: { type: 'string', pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$', maxLength: 253, description: 'The node.' },
      state: { enum: ['drain', 'cordon', 'uncordon'], default: 'drain' },
      delete_options: {
        type: 'object',
        additionalProperties: false,
        description: 'For drain: what may be evicted, and how long to wait.',
        properties: {
          terminate_grace_period: { type: 'integer', minimum: 0, description: 'Seconds each pod gets to stop (kubectl drain --grace-period).' },
          force: { type: 'boolean', default: false, description: 'Also delete pods no controller manages (--force).' },
          ignore_daemonsets: { type: 'boolean', default: false, description: 'Leave DaemonSet pods (--ignore-daemonsets).' },
          delete_emptydir_data: { type: 'boolean', default: false, description: 'Delete pods with emptyDir data (--delete-emptydir-data).' },
          disable_eviction: { type: 'boolean', default: false, description: 'Delete instead of evicting, bypassing PodDisruptionBudgets (--disable-eviction).' },
          wait_timeout: { type: 'integer', minimum: 0, description: `Seconds to wait for the pods to go (--timeout; default ${DEFAULT_DRAIN_TIMEOUT}, 0: forever).` },
          wait_sleep: { type: 'integer', minimum: 1, description: 'Accepted for Ansible playbooks; kubectl drain polls on its own.' },
        },
      },
      kubeconfig: { type: 'string', minLength: 1, description: 'The kubeconfig on the host (default: kubectl\'s, ~/.kube/config or KUBECONFIG).' },
      context: { type: 'string', minLength: 1, description: 'The kubeconfig context.' },
    },
  },
  validate(a: K8sDrainArgs) {
    if (a.delete_options && (a.state ?? 'drain') !== 'drain') throw new InputError(`k8s_drain: delete_options apply to state drain only, not ${a.state}`);
  },
  facts: (a: K8sDrainArgs) => ({ node: nodeFact(a) }),
  async run(a, ctx, { node }) {
    if (node.error) {
      const msg = /not ?found/i.test(node.error) && /node/i.test(node.error) ? `Node ${a.name} not found.` : `Failed to retrieve node '${a.name}' due to: ${node.error}`;
      return { changed: false, failed: true, msg };
    }
    const plan = drainPlan(a, node);
    const out: ModuleResult = { changed: plan.command !== undefined, result: plan.result };
    if (!plan.command) return out;
    if (ctx.check) return { ...out, command: shellJoin(plan.command) };
    const timeoutS = (a.delete_options?.wait_timeout || DEFAULT_DRAIN_TIMEOUT) + 60;
    const r = await ctx.exec(shellJoin(plan.command), { timeoutMs: timeoutS * 1000 });
    if (r.rc !== 0) return { changed: false, failed: true, rc: r.rc, stdout: r.stdout, stderr: r.stderr, msg: `${plan.command.slice(0, 3).join(' ')} failed: ${r.stderr.trim().split('\n').slice(-3).join(' | ') || `rc ${r.rc}`}` };
    return { ...out, stdout: r.stdout };
  },
});
