#!/usr/bin/env bash
# Validates the deployment and observability files without running Docker:
#   1. promtool check config  infra/prometheus/prometheus.yml
#   2. promtool check rules   infra/prometheus/alerts.yml
#   3. promtool test rules    infra/prometheus/alerts.test.yml  (alert unit tests)
#   4. every PromQL query of the Grafana dashboard parses (promtool, as recording rules), and the
#      dashboard JSON is what infra/grafana/build-dashboard.cjs writes
#   5. consistency: docker-compose.yml, apps/*/Dockerfile, Prometheus jobs, Grafana provisioning,
#      alert annotations <-> docs/runbook.md anchors, metric names <-> docs/observability.md
#   6. `docker compose config` when a Docker Compose is installed (it is not on the dev machines)
#   7. infra/k8s: every Kustomize overlay renders and every object validates against its schema
# promtool comes from Debian's `prometheus` package; it is installed when missing and apt-get is there.
# Exits non-zero when anything fails and lists what failed.
#
# Usage: scripts/check-infra.sh
set -uo pipefail
cd "$(dirname "$0")/.."

failed=()
run_step() {
  local name=$1
  shift
  echo "--- ${name}"
  if "$@"; then
    echo "ok: ${name}"
  else
    echo "FAILED: ${name}"
    failed+=("${name}")
  fi
}

source scripts/lib/promtool.sh

# A YAML parser for the node checks: the workspace's `yaml` or `js-yaml` (installed by pnpm install),
# else python3's PyYAML. Sourced by the node snippets below as require(YAML_LOADER).
yaml_loader=$(mktemp /tmp/check-infra-yaml.XXXXXX.cjs)
work=$(mktemp -d /tmp/check-infra.XXXXXX)
trap 'rm -rf "${yaml_loader}" "${work}"' EXIT
cat >"${yaml_loader}" <<'EOF'
const fs = require('fs');
const path = require('path');
const { createRequire } = require('module');
const { execFileSync } = require('child_process');
const root = process.cwd();
const tryRequire = (name) => {
  for (const base of [path.join(root, 'node_modules/.pnpm/node_modules'), path.join(root, 'node_modules')]) {
    try { return createRequire(path.join(base, 'x.js'))(name); } catch { /* next */ }
  }
  return null;
};
const yaml = tryRequire('yaml');
const jsyaml = yaml ? null : tryRequire('js-yaml');
module.exports = function loadYaml(file) {
  const text = fs.readFileSync(file, 'utf8');
  if (yaml) return yaml.parse(text, { merge: true });
  if (jsyaml) return jsyaml.load(text);
  try {
    const out = execFileSync('python3', ['-c', 'import json,sys,yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))', file], { encoding: 'utf8' });
    return JSON.parse(out);
  } catch (e) {
    throw new Error(`no YAML parser: run pnpm install (for the yaml package) or install python3-yaml (${e.message})`);
  }
};
EOF

check_dashboard_queries() {
  # Grafana's variables become plain values so that promtool can parse each query.
  YAML_LOADER="${yaml_loader}" node - "${work}/dashboard-rules.yml" <<'EOF' || return 1
const fs = require('fs');
const dash = JSON.parse(fs.readFileSync('infra/grafana/dashboards/pipevideo.json', 'utf8'));
const exprs = [];
const walk = (panels) => { for (const p of panels || []) { for (const t of p.targets || []) if (t.expr) exprs.push([p.title, t.expr]); walk(p.panels); } };
walk(dash.panels);
for (const v of dash.templating?.list || []) if (v.definition) exprs.push([`variable ${v.name}`, v.definition.replace(/^label_values\(([^,]+),.*\)$/, '$1')]);
const sub = (e) => e.replace(/\$__rate_interval|\$__interval/g, '1m').replace(/\$__range/g, '1h').replace(/\$service/g, '.*');
const rules = exprs.map(([title, e], i) => `      - record: dashboard_query_${i}\n        # ${title.replace(/\n/g, ' ')}\n        expr: ${JSON.stringify(sub(e))}`);
fs.writeFileSync(process.argv[2], `groups:\n  - name: dashboard\n    rules:\n${rules.join('\n')}\n`);
console.log(`${exprs.length} dashboard queries`);
EOF
  promtool check rules "${work}/dashboard-rules.yml"
}

check_dashboard_generated() {
  node infra/grafana/build-dashboard.cjs "${work}/pipevideo.json" >/dev/null || return 1
  if ! cmp -s "${work}/pipevideo.json" infra/grafana/dashboards/pipevideo.json; then
    echo "infra/grafana/dashboards/pipevideo.json differs from what infra/grafana/build-dashboard.cjs writes:"
    echo "edit the builder and run: node infra/grafana/build-dashboard.cjs"
    diff "${work}/pipevideo.json" infra/grafana/dashboards/pipevideo.json | head -n 20
    return 1
  fi
}

check_consistency() {
  YAML_LOADER="${yaml_loader}" node - <<'EOF'
const fs = require('fs');
const loadYaml = require(process.env.YAML_LOADER);
const problems = [];
const warnings = [];
const bad = (m) => problems.push(m);
const exists = (p) => fs.existsSync(p);
const APPS = { gateway: 3001, billing: 3002, router: 3003, providers: 3004, webhooks: 3005 };
const FIXED_HOST_PORTS = { gateway: ['3001'], dashboard: ['3006'], grafana: ['3000'], prometheus: ['9090'] };

// ---- docker-compose.yml
const compose = loadYaml('docker-compose.yml');
const svcs = compose.services || {};
for (const name of ['postgres', 'nats', ...Object.keys(APPS), 'sandboxes', 'prometheus', 'grafana']) if (!svcs[name]) bad(`compose: service "${name}" is missing`);
if (!/^postgres:16/.test(svcs.postgres?.image || '')) bad('compose: postgres must use a postgres:16 image');
if (!/^nats:2\.10/.test(svcs.nats?.image || '')) bad('compose: nats must use a nats:2.10 image');
if (!(svcs.nats?.command || []).includes('-js')) bad('compose: nats must run with -js (JetStream)');
if (!(svcs.nats?.volumes || []).length) bad('compose: nats needs a volume for the JetStream store');

const hostPort = (spec) => {
  // "3001:3001", "127.0.0.1:3001:3001", "127.0.0.1::4101", "4101" or the long form.
  if (typeof spec === 'object') return spec.published ? String(spec.published) : '';
  const parts = String(spec).split(':');
  return parts.length >= 2 ? parts[parts.length - 2] : '';
};
const dockerfileText = {};
const hasHealthcheck = (name) => {
  const s = svcs[name];
  if (s.healthcheck && !s.healthcheck.disable) return true;
  const df = s.build && (typeof s.build === 'string' ? `${s.build}/Dockerfile` : `${s.build.context || '.'}/${s.build.dockerfile || 'Dockerfile'}`);
  return !!(df && exists(df) && /HEALTHCHECK/.test(fs.readFileSync(df, 'utf8')));
};
// Compose v1 (docker-compose >= 1.27) and v2 both: a 3.x version key, no top-level `name` (v1 refuses it).
if (compose.name !== undefined) bad('compose: top-level "name" is refused by docker-compose v1; drop it');
if (!/^3\.\d+$/.test(String(compose.version ?? ''))) bad('compose: needs version "3.x" (docker-compose v1 reads a file without it as the legacy format)');
// In production a service refuses to start without its secrets (its main.ts, runServiceMain): each is in
// its compose environment. Outputs on the disk driver: the services that write, sign or serve them share
// one volume at PIPEVIDEO_STORAGE_DIR (and one signing key, above), or links from one fail at another.
const PRODUCTION_SECRETS = {
  gateway: ['PIPEVIDEO_ADMIN_TOKEN', 'PIPEVIDEO_STORAGE_SIGNING_KEY'],
  router: ['PIPEVIDEO_STORAGE_SIGNING_KEY'],
  providers: ['PIPEVIDEO_BYOK_ENCRYPTION_KEY', 'PIPEVIDEO_STORAGE_SIGNING_KEY', 'REPLICATE_WEBHOOK_SECRET', 'PIPEVIDEO_PROVIDERS_PUBLIC_URL'],
  webhooks: ['PIPEVIDEO_WEBHOOKS_ENCRYPTION_KEY'],
};
for (const [name, needed] of Object.entries(PRODUCTION_SECRETS)) {
  const env = svcs[name]?.environment || {};
  for (const v of needed) if (!env[v]) bad(`compose: ${name} runs with NODE_ENV=production and refuses to start without ${v}; set it in its environment`);
}
for (const name of ['gateway', 'router', 'providers']) {
  const env = svcs[name]?.environment || {};
  if ((env.PIPEVIDEO_STORAGE_DRIVER || 'disk') !== 'disk') continue;
  if (!env.PIPEVIDEO_STORAGE_DIR) bad(`compose: ${name} stores outputs on disk without PIPEVIDEO_STORAGE_DIR (the shared outputs volume)`);
  else if (!(svcs[name].volumes || []).some((v) => typeof v === 'string' && v.startsWith('outputs:') && v.split(':')[1] === env.PIPEVIDEO_STORAGE_DIR)) bad(`compose: ${name} must mount the shared "outputs" volume at PIPEVIDEO_STORAGE_DIR (${env.PIPEVIDEO_STORAGE_DIR})`);
}
// Secure by default: secrets come from .env with no known default; dashboards on localhost only.
const composeText = fs.readFileSync('docker-compose.yml', 'utf8');
for (const secret of ['POSTGRES_PASSWORD', 'PIPEVIDEO_ADMIN_TOKEN', 'PIPEVIDEO_WEBHOOKS_ENCRYPTION_KEY', 'PIPEVIDEO_BYOK_ENCRYPTION_KEY', 'PIPEVIDEO_STORAGE_SIGNING_KEY', 'GRAFANA_ADMIN_PASSWORD', 'REPLICATE_WEBHOOK_SECRET', 'FAL_KEY', 'REPLICATE_API_TOKEN', 'AI_GATEWAY_API_KEY', 'FRAMERATE_API_KEY']) {
  if (new RegExp(`\\$\\{${secret}:?-`).test(composeText)) bad(`compose: ${secret} has a default; secrets must come from .env (\${${secret}:?…})`);
  if (!new RegExp(`\\$\\{${secret}:\\?`).test(composeText)) bad(`compose: ${secret} must be required (\${${secret}:?…})`);
}
for (const dash of ['grafana', 'prometheus']) for (const p of svcs[dash]?.ports || []) if (!String(p).startsWith('127.0.0.1:')) bad(`compose: ${dash} must publish on 127.0.0.1 only`);
if (/GF_AUTH_ANONYMOUS_ENABLED:\s*"?true/.test(composeText)) bad('compose: Grafana must not allow anonymous access');
for (const [name, s] of Object.entries(svcs)) {
  if (s.container_name) bad(`compose: ${name} sets container_name, which forbids --scale`);
  for (const p of s.ports || []) {
    const hp = hostPort(p);
    if (hp && !(FIXED_HOST_PORTS[name] || []).includes(hp)) bad(`compose: ${name} publishes fixed host port ${hp}; only gateway 3001, dashboard 3006, grafana 3000 and prometheus 9090 may`);
  }
  const deps = s.depends_on || {};
  for (const [dep, cond] of Array.isArray(deps) ? deps.map((d) => [d, {}]) : Object.entries(deps)) {
    if (!svcs[dep]) bad(`compose: ${name} depends on unknown service ${dep}`);
    else if (cond.condition === 'service_healthy' && !hasHealthcheck(dep)) bad(`compose: ${name} waits for ${dep} to be healthy but ${dep} has no healthcheck`);
  }
  for (const v of s.volumes || []) {
    const src = typeof v === 'string' ? v.split(':')[0] : v.source;
    if (src && /^\.\.?\//.test(src) && !exists(src)) bad(`compose: ${name} mounts ${src}, which does not exist`);
  }
  if (s.build) {
    const df = `${s.build.context || '.'}/${s.build.dockerfile || 'Dockerfile'}`.replace(/^\.\//, '');
    if (!exists(df)) bad(`compose: ${name} builds from ${df}, which does not exist`);
    else if (s.build.target && !new RegExp(`^FROM\\s+\\S+\\s+AS\\s+${s.build.target}\\s*$`, 'mi').test(fs.readFileSync(df, 'utf8'))) bad(`compose: ${name} builds target ${s.build.target}, which ${df} does not define`);
  }
}
for (const [app, port] of Object.entries(APPS)) {
  const s = svcs[app];
  if (!s) continue;
  if (s.build?.dockerfile !== `apps/${app}/Dockerfile` || (s.build?.context || '.') !== '.') bad(`compose: ${app} must build apps/${app}/Dockerfile with the repository root as context`);
  if (s.build?.target) bad(`compose: ${app} must build the Dockerfile's default (last) stage`);
  const env = s.environment || {};
  if (String(env.PORT) !== String(port)) bad(`compose: ${app} must set PORT=${port}`);
  for (const k of ['NATS_URL', 'DATABASE_URL', 'HOST']) if (!env[k]) bad(`compose: ${app} must set ${k}`);
  if (!JSON.stringify(s.healthcheck?.test || '').includes('/health/ready')) bad(`compose: ${app}'s healthcheck must ask /health/ready`);
  for (const infra of ['postgres', 'nats']) if (s.depends_on?.[infra]?.condition !== 'service_healthy') bad(`compose: ${app} must depend on ${infra} with condition service_healthy`);
}
const providerEnv = svcs.providers?.environment || {};
for (const k of ['FAL_BASE_URL', 'FAL_KEY', 'FAL_JWKS_URL', 'REPLICATE_BASE_URL', 'REPLICATE_API_TOKEN', 'REPLICATE_WEBHOOK_SECRET', 'AI_GATEWAY_BASE_URL', 'AI_GATEWAY_API_KEY', 'FRAMERATE_BASE_URL', 'FRAMERATE_API_KEY', 'PIPEVIDEO_PROVIDERS_PUBLIC_URL'])
  if (!(k in providerEnv)) bad(`compose: providers must set ${k}`);
for (const k of ['STRIPE_SECRET_KEY', 'STRIPE_WEBHOOK_SECRET']) if (!(k in (svcs.billing?.environment || {}))) bad(`compose: billing must set ${k}`);
if (!('PIPEVIDEO_ADMIN_TOKEN' in (svcs.gateway?.environment || {}))) bad('compose: gateway must set PIPEVIDEO_ADMIN_TOKEN');

// ---- apps/*/Dockerfile
const head = (t) => t.slice(t.indexOf('ARG NODE_IMAGE'), t.indexOf('RUN pnpm install'));
let firstHead = null;
for (const app of Object.keys(APPS)) {
  const df = `apps/${app}/Dockerfile`;
  if (!exists(df)) { bad(`${df} is missing`); continue; }
  const t = fs.readFileSync(df, 'utf8');
  dockerfileText[app] = t;
  const need = [
    [/^ARG NODE_IMAGE=node:22-slim$/m, 'ARG NODE_IMAGE=node:22-slim'],
    [/npm i -g pnpm@10/, 'npm i -g pnpm@10'],
    [/pnpm install --frozen-lockfile/, 'pnpm install --frozen-lockfile'],
    [new RegExp(`pnpm turbo run build --filter=@pipevideo/${app}\\.\\.\\.`), `pnpm turbo run build --filter=@pipevideo/${app}...`],
    [new RegExp(`--filter=@pipevideo/${app} deploy --prod`), 'pnpm deploy --prod'],
    [new RegExp(`EXPOSE ${APPS[app]}`), `EXPOSE ${APPS[app]}`],
  ];
  for (const [re, what] of need) if (!re.test(t)) bad(`${df}: missing ${what}`);
  const stages = t.split(/^FROM /m);
  const last = stages[stages.length - 1];
  if (!/ AS runtime\s*$/m.test(last.split('\n')[0])) bad(`${df}: the last stage must be the runtime stage (the default build target)`);
  if (!/^USER (node|\d+)/m.test(last) || /^USER root/m.test(last)) bad(`${df}: the runtime stage must run as a non-root USER`);
  if (!/^HEALTHCHECK[\s\S]*\/health\/ready/m.test(last)) bad(`${df}: the runtime stage needs a HEALTHCHECK on /health/ready`);
  if (!/^CMD \["node", "dist\/main\.js"\]/m.test(last)) bad(`${df}: the runtime stage must start node dist/main.js`);
  const ignore = `${df}.dockerignore`;
  if (!exists(ignore) || !/^\*\*\/node_modules$/m.test(fs.readFileSync(ignore, 'utf8'))) bad(`${ignore} must exist and ignore **/node_modules`);
  if (firstHead === null) firstHead = head(t);
  else if (head(t) !== firstHead) warnings.push(`${df}: the stages before "pnpm install" differ from apps/gateway/Dockerfile, so BuildKit cannot share that layer`);
}
for (const line of (dockerfileText.providers || '').split('\n')) {
  const m = line.match(/^COPY (?!--from)(\S+)/);
  if (m && m[1] !== '.' && !exists(m[1].replace(/\/$/, ''))) bad(`apps/providers/Dockerfile copies ${m[1]}, which does not exist`);
}

// ---- Prometheus: one dns_sd job per service, on the port compose gives it
const prom = loadYaml('infra/prometheus/prometheus.yml');
for (const [app, port] of Object.entries(APPS)) {
  const job = (prom.scrape_configs || []).find((j) => j.job_name === app);
  const sd = job?.dns_sd_configs?.[0];
  if (!sd || sd.type !== 'A' || !(sd.names || []).includes(app) || Number(sd.port) !== port) bad(`prometheus.yml: job ${app} must use dns_sd_configs type A on ${app}:${port}`);
}
const promMount = (svcs.prometheus?.volumes || []).find((v) => String(v).startsWith('./infra/prometheus:'));
if (!promMount) bad('compose: prometheus must mount ./infra/prometheus');

// ---- alerts <-> runbook
const slug = (h) => h.trim().toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-');
const runbook = exists('docs/runbook.md') ? fs.readFileSync('docs/runbook.md', 'utf8') : '';
if (!runbook) bad('docs/runbook.md is missing');
const anchors = new Set([...runbook.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1])));
const alerts = loadYaml('infra/prometheus/alerts.yml').groups.flatMap((g) => g.rules).filter((r) => r.alert);
const alertNames = new Set(alerts.map((a) => a.alert));
for (const a of alerts) {
  for (const k of ['summary', 'description', 'runbook_url']) if (!a.annotations?.[k]) bad(`alerts.yml: ${a.alert} has no ${k}`);
  if (!['critical', 'warning', 'info'].includes(a.labels?.severity)) bad(`alerts.yml: ${a.alert} needs severity critical, warning or info`);
  const m = /^docs\/runbook\.md#(.+)$/.exec(a.annotations?.runbook_url || '');
  if (!m) bad(`alerts.yml: ${a.alert}'s runbook_url must be docs/runbook.md#<anchor>`);
  else if (!anchors.has(m[1])) bad(`alerts.yml: ${a.alert}'s runbook_url points to #${m[1]}, which is not a heading of docs/runbook.md`);
  else if (m[1] !== a.alert.toLowerCase()) bad(`alerts.yml: ${a.alert}'s runbook anchor should be #${a.alert.toLowerCase()}`);
}
for (const m of runbook.matchAll(/^## (Pipevideo\w+)\s*$/gm)) if (!alertNames.has(m[1])) bad(`docs/runbook.md has a section for ${m[1]}, which is not an alert in alerts.yml`);

// ---- Grafana provisioning
const ds = loadYaml('infra/grafana/provisioning/datasources/prometheus.yml');
const promDs = (ds.datasources || []).find((d) => d.type === 'prometheus');
if (!promDs || promDs.uid !== 'prometheus' || promDs.url !== 'http://prometheus:9090') bad('grafana datasource: need a prometheus datasource with uid "prometheus" and url http://prometheus:9090');
const dp = loadYaml('infra/grafana/provisioning/dashboards/pipevideo.yml');
const dashPath = dp.providers?.[0]?.options?.path;
const grafanaMounts = (svcs.grafana?.volumes || []).map(String);
if (!grafanaMounts.some((v) => v.startsWith('./infra/grafana/dashboards:' + dashPath))) bad(`compose: grafana must mount ./infra/grafana/dashboards at ${dashPath} (the dashboard provider's path)`);
if (!grafanaMounts.some((v) => v.startsWith('./infra/grafana/provisioning:/etc/grafana/provisioning'))) bad('compose: grafana must mount ./infra/grafana/provisioning at /etc/grafana/provisioning');
const dash = JSON.parse(fs.readFileSync('infra/grafana/dashboards/pipevideo.json', 'utf8'));
const ids = new Set();
const dashExprs = [];
for (const p of dash.panels || []) {
  if (ids.has(p.id)) bad(`dashboard: duplicate panel id ${p.id}`);
  ids.add(p.id);
  if (!p.gridPos || p.gridPos.x + p.gridPos.w > 24) bad(`dashboard: panel "${p.title}" has a bad gridPos`);
  if (p.type === 'row') continue;
  if (p.datasource?.uid !== promDs?.uid) bad(`dashboard: panel "${p.title}" does not use the provisioned datasource`);
  if (!(p.targets || []).length) bad(`dashboard: panel "${p.title}" has no query`);
  for (const t of p.targets || []) dashExprs.push(t.expr || '');
}

// ---- metric names <-> docs/observability.md catalogue
const catalogue = exists('docs/observability.md') ? fs.readFileSync('docs/observability.md', 'utf8') : '';
if (!catalogue) bad('docs/observability.md is missing');
const base = (n) => n.replace(/_(bucket|count|sum)$/, '');
const used = new Set();
for (const e of [...alerts.map((a) => a.expr), ...dashExprs]) for (const m of String(e).matchAll(/\bpipevideo_[a-z0-9_]+/g)) used.add(base(m[0]));
for (const n of used) if (!catalogue.includes('`' + n + '`')) bad(`metric ${n} is used by alerts or the dashboard but missing from the catalogue in docs/observability.md`);
// Metrics registered in code but not catalogued: a warning (the services are written in parallel).
const codeMetrics = new Set();
const scan = (dir) => {
  for (const e of fs.existsSync(dir) ? fs.readdirSync(dir, { withFileTypes: true }) : []) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory()) { if (!['node_modules', 'dist', 'test', 'testing'].includes(e.name)) scan(p); }
    else if (/\.ts$/.test(e.name) && !/\.spec\.ts$/.test(e.name)) for (const m of fs.readFileSync(p, 'utf8').matchAll(/name:\s*['"`](pipevideo_[a-z0-9_]+)['"`]/g)) codeMetrics.add(m[1]);
  }
};
for (const d of ['apps', 'packages']) for (const sub of fs.existsSync(d) ? fs.readdirSync(d) : []) scan(`${d}/${sub}/src`);
for (const n of codeMetrics) if (!catalogue.includes('`' + n + '`')) warnings.push(`metric ${n} is registered in code but not in the catalogue of docs/observability.md`);

for (const w of warnings) console.log(`warning: ${w}`);
for (const p of problems) console.log(`problem: ${p}`);
console.log(`${Object.keys(svcs).length} compose services, ${alerts.length} alerts, ${ids.size} dashboard panels, ${used.size} metric names used, ${codeMetrics.size} registered in code`);
process.exit(problems.length ? 1 : 0);
EOF
}

check_compose_cli() {
  if docker compose version >/dev/null 2>&1; then
    docker compose -f docker-compose.yml config -q
  elif command -v docker-compose >/dev/null 2>&1; then
    # Compose v1 (Debian's docker-compose 1.29) predates the top-level `name:`; check the rest.
    echo "using $(docker-compose version --short 2>/dev/null || echo 'docker-compose v1'), without the top-level name: it does not know"
    grep -v '^name: ' docker-compose.yml >"${work}/docker-compose.v1.yml" &&
      docker-compose -f "${work}/docker-compose.v1.yml" --project-directory . -p pipevideo config -q
  else
    echo "skipped: no Docker Compose on this machine (the consistency step parsed the file instead)"
  fi
}

if ensure_promtool; then
  promtool --version 2>&1 | head -n 1
  run_step "promtool check config infra/prometheus/prometheus.yml" promtool check config infra/prometheus/prometheus.yml
  run_step "promtool check rules infra/prometheus/alerts.yml" promtool check rules infra/prometheus/alerts.yml
  run_step "promtool test rules infra/prometheus/alerts.test.yml" promtool test rules infra/prometheus/alerts.test.yml
  run_step "Grafana dashboard queries parse" check_dashboard_queries
else
  failed+=("promtool available")
fi
run_step "Grafana dashboard JSON is the builder's output" check_dashboard_generated
run_step "compose / Dockerfiles / Prometheus / Grafana / runbook / catalogue consistency" check_consistency
run_step "docker compose config" check_compose_cli

# Kubernetes: every overlay renders (kubectl's built-in Kustomize) and every object validates against
# its schema (kubernetes-models, KEDA, prometheus-operator, CloudNativePG); see infra/k8s/README.md.
check_k8s() {
  if ! command -v kubectl >/dev/null 2>&1; then
    if [[ "${CI:-}" == "true" ]]; then echo "kubectl is required under CI=true"; return 1; fi
    echo "!!! kubectl not found: Kubernetes manifests NOT checked"
    return 0
  fi
  node infra/k8s/validate.mjs
}
run_step "Kubernetes manifests render and validate" check_k8s

echo
if [ ${#failed[@]} -gt 0 ]; then
  echo "check-infra: ${#failed[@]} check(s) failed:"
  printf '  - %s\n' "${failed[@]}"
  exit 1
fi
echo "check-infra: all checks passed"
