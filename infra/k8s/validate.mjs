#!/usr/bin/env node
// Renders every overlay with `kubectl kustomize` and validates each object against its Kubernetes
// (and KEDA, prometheus-operator, CloudNativePG) schema with kubernetes-models; the dependency
// manifests too. Also checks what a reviewer would otherwise have to: the PrometheusRule is current,
// every Deployment runs non-root on a read-only root with probes, resources and a grace period
// longer than the service's 10 s drain, and every Deployment has its Service and PodDisruptionBudget.
// Run by scripts/check-infra.sh (CI). Exits 1 listing every problem.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import YAML from 'yaml';

const here = dirname(fileURLToPath(import.meta.url));
const problems = [];

/** apiVersion → the package folder holding its models. */
function modelPath(apiVersion, kind) {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  if (group === 'keda.sh') return `@kubernetes-models/keda/keda.sh/${version}/${kind}`;
  if (group === 'monitoring.coreos.com') return `@kubernetes-models/prometheus-operator/monitoring.coreos.com/${version}/${kind}`;
  if (group === 'postgresql.cnpg.io') return `@kubernetes-models/cloudnative-pg/postgresql.cnpg.io/${version}/${kind}`;
  return group ? `kubernetes-models/${group}/${version}/${kind}` : `kubernetes-models/${version}/${kind}`;
}

async function validate(source, obj) {
  const where = `${source}: ${obj.kind}/${obj.metadata?.name}`;
  let Model;
  try {
    Model = (await import(modelPath(obj.apiVersion, obj.kind)))[obj.kind];
  } catch {
    problems.push(`${where}: no schema known for ${obj.apiVersion} ${obj.kind}`);
    return;
  }
  try {
    new Model(obj).validate();
  } catch (err) {
    problems.push(`${where}: ${err.message.split('\n').slice(0, 4).join(' ')}`);
  }
}

function checkDeployment(source, d, all) {
  const where = `${source}: Deployment/${d.metadata.name}`;
  const pod = d.spec.template.spec;
  const c = pod.containers[0];
  if (!pod.securityContext?.runAsNonRoot) problems.push(`${where}: must run as non-root`);
  if (!c.securityContext?.readOnlyRootFilesystem) problems.push(`${where}: root filesystem must be read-only`);
  if (!c.livenessProbe || !c.readinessProbe) problems.push(`${where}: needs liveness and readiness probes`);
  if (!c.resources?.requests?.cpu || !c.resources?.limits?.memory) problems.push(`${where}: needs cpu requests and a memory limit`);
  if (!(pod.terminationGracePeriodSeconds > 15)) problems.push(`${where}: grace period must outlast the 10 s drain plus the preStop pause`);
  const labels = d.spec.template.metadata.labels;
  const selects = (sel) => sel && Object.entries(sel).every(([k, v]) => labels[k] === v);
  if (!all.some((o) => o.kind === 'Service' && selects(o.spec.selector))) problems.push(`${where}: no Service selects it`);
  if (!all.some((o) => o.kind === 'PodDisruptionBudget' && selects(o.spec.selector.matchLabels))) problems.push(`${where}: no PodDisruptionBudget covers it`);
  const scaled = all.some((o) => (o.kind === 'HorizontalPodAutoscaler' || o.kind === 'ScaledObject') && o.spec.scaleTargetRef.name === d.metadata.name);
  if (!scaled) problems.push(`${where}: neither an HPA nor a KEDA ScaledObject scales it`);
}

const overlays = readdirSync(join(here, 'overlays'));
for (const overlay of overlays) {
  const source = `overlays/${overlay}`;
  let rendered;
  try {
    rendered = execFileSync('kubectl', ['kustomize', join(here, source)], { encoding: 'utf8' });
  } catch (err) {
    problems.push(`${source}: kubectl kustomize failed: ${err.message}`);
    continue;
  }
  const objects = YAML.parseAllDocuments(rendered).map((d) => d.toJSON()).filter(Boolean);
  for (const o of objects) await validate(source, o);
  for (const d of objects.filter((o) => o.kind === 'Deployment')) checkDeployment(source, d, objects);
  console.log(`${source}: ${objects.length} objects`);
}
for (const file of readdirSync(join(here, 'dependencies')).filter((f) => f.endsWith('.yaml') && !f.endsWith('-values.yaml'))) {
  for (const d of YAML.parseAllDocuments(readFileSync(join(here, 'dependencies', file), 'utf8'))) await validate(`dependencies/${file}`, d.toJSON());
}
try {
  execFileSync(process.execPath, [join(here, 'build-prometheus-rule.cjs'), '--check'], { stdio: 'inherit' });
} catch {
  problems.push('base/monitoring/prometheus-rule.yaml is stale');
}
if (problems.length) {
  console.error(`infra/k8s: ${problems.length} problem(s):\n - ${problems.join('\n - ')}`);
  process.exit(1);
}
console.log('infra/k8s: every object valid');
