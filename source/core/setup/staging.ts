/**
 * `setup staging`: take a host with only production to a working staging, one step at a time. Steps are data
 * ({id, title, inspect, run}); inspect is read-only and says whether the step is already done (then it is skipped)
 * and what running it would do (the preview). Every step is audited; a failure stops with what was and was not done,
 * and a re-run continues from there (done steps are skipped).
 */
import type {EnvironmentName, Profile} from '../config/schema.js';
import {sessionOn} from '../hosts.js';
import {containerState, CREATE_BODY_JQ, waitHealthy} from '../docker/update.js';
import {OpsError, describeError} from '../errors.js';
import {gitRunner, type GitRunner} from '../git/repo.js';
import {commitFileToBranch, fetchBranch, proposeTriggerChange, unifiedDiff, workflowsAt, type WorkflowChange} from '../git/workflows.js';
import {sh, shellJoin, type ShellScript} from '../quote.js';
import {runSafety, sessionInputs} from '../safety/runner.js';
import type {SafetyReport} from '../safety/types.js';
import type {Session} from '../session.js';
import {readHistory} from '../sync/history.js';
import {runSyncLive, SyncWatch} from '../sync/live.js';
import {installSafeScript, previewSafeScript} from '../sync/safe-script.js';
import {installSchedule, readSchedule, scheduleMeansTwoAm} from '../sync/schedule.js';
import {scrubber} from '../secrets.js';
import {templateStep} from './template.js';
import {sleep} from '../time.js';

export interface StepInspection {
	done: boolean;
	/** What is there now. */
	detail: string;
	/** What running the step would do (commands, diff); empty when done. */
	preview: string[];
}

export interface SetupContext {
	session: Session;
	profile: Profile;
	git: GitRunner;
	signal: AbortSignal;
	ciTimeoutMs: number;
	progress(message: string): void;
	safety?: SafetyReport;
}

export interface SetupStep {
	id: string;
	title: string;
	inspect(ctx: SetupContext): Promise<StepInspection>;
	/** Returns what it did (one line). */
	run(ctx: SetupContext): Promise<string>;
}

async function exec(ctx: SetupContext, script: ShellScript | readonly string[], timeoutMs = 120_000, on?: EnvironmentName, stdin?: string) {
	// PostgreSQL, the sync script and its schedule are on the main host; a container on its environment's host.
	const transport = on ? ctx.session.transportFor(on) : ctx.session.transport;
	const r = await transport.exec(script, {signal: ctx.signal, timeoutMs, ...(stdin === undefined ? {} : {stdin})});
	return {...r, stderr: scrubber.scrub(r.stderr)};
}

const firstLine = (text: string) => text.trim().split('\n').find(Boolean) ?? '';

// ------------------------------------------------------------ 1. the staging branch

function branchStep(profile: Profile): SetupStep {
	const {remote} = profile.repo;
	const {production, staging} = profile.environments;
	return {
		id: 'branch', title: `Branch ${staging.branch} on ${remote}, from ${production.branch}`,
		async inspect(ctx) {
			const r = await ctx.git(['ls-remote', '--heads', remote, `refs/heads/${staging.branch}`], {signal: ctx.signal});
			if (r.code !== 0) throw new OpsError('remote', `Could not read the branches of ${remote}: ${firstLine(r.stderr)}`, {hint: 'Nothing was changed. Check repo.path and the remote.'});
			const sha = r.stdout.trim().split(/\s+/u)[0];
			if (sha) return {done: true, detail: `${remote}/${staging.branch} is at ${sha.slice(0, 12)}`, preview: []};
			return {done: false, detail: `${remote} has no branch ${staging.branch}`, preview: [
				shellJoin(['git', 'fetch', remote, production.branch]),
				shellJoin(['git', 'push', remote, `refs/remotes/${remote}/${production.branch}:refs/heads/${staging.branch}`]),
				`(CI then builds :${staging.tag} from it)`,
			]};
		},
		async run(ctx) {
			const fetch = await ctx.git(['fetch', remote, `+refs/heads/${production.branch}:refs/remotes/${remote}/${production.branch}`], {signal: ctx.signal});
			if (fetch.code !== 0) throw new OpsError('remote', `git fetch ${remote} ${production.branch} failed: ${firstLine(fetch.stderr)}`, {untouched: 'Nothing was pushed.'});
			const push = await ctx.git(['push', remote, `refs/remotes/${remote}/${production.branch}:refs/heads/${staging.branch}`], {signal: ctx.signal});
			if (push.code !== 0) throw new OpsError('remote', `git push of ${staging.branch} failed: ${firstLine(push.stderr)}`, {untouched: 'The remote is unchanged.'});
			return `pushed ${staging.branch} from ${remote}/${production.branch}`;
		},
	};
}

// ------------------------------------------------------------ 2. CI builds :staging

function workflowStep(profile: Profile): SetupStep {
	const {production, staging} = profile.environments;
	const {remote} = profile.repo;
	const message = `ci: build :${staging.tag} from ${staging.branch} (jutsu-ops setup staging)`;
	const workflowCheck = async (ctx: SetupContext) => {
		const report = await runSafety(sessionInputs(ctx.session), {groups: ['git']}, () => undefined, ctx.signal);
		return report.checks.find(c => c.id === 'git.workflow');
	};
	/** Per existing branch (production's, then staging's): the trigger change its own workflows need, if any. */
	const changes = async (ctx: SetupContext): Promise<WorkflowChange[]> => {
		const out: WorkflowChange[] = [];
		for (const branch of [production.branch, staging.branch]) {
			const commit = await fetchBranch(ctx.git, remote, branch, ctx.signal);
			// staging not made yet (a dry run before step 1): it starts from production's branch, change included
			if (!commit) continue;
			const change = proposeTriggerChange(await workflowsAt(ctx.git, commit, ctx.signal), production, staging);
			if (change) out.push({branch, commit, ...change});
		}
		return out;
	};
	return {
		id: 'ci', title: `CI builds :${staging.tag} from ${staging.branch}`,
		async inspect(ctx) {
			const check = await workflowCheck(ctx);
			if (check?.status === 'pass' || check?.status === 'warn') return {done: true, detail: check.detail, preview: []};
			const list = await changes(ctx);
			return {done: false, detail: check?.detail ?? 'the workflows could not be read', preview: [
				...list.flatMap(change => unifiedDiff(change, `${remote}/${change.branch}`)),
				...list.map(change => `commit "${message}" on top of ${remote}/${change.branch} (${change.commit.slice(0, 12)}) and push it; the working tree is not touched`),
				`(a push to ${production.branch} makes CI rebuild :${production.tag}; no container is updated by it)`,
			]};
		},
		async run(ctx) {
			const list = await changes(ctx);
			const pushed: string[] = [];
			for (const change of list) {
				ctx.progress(`pushing the workflow change to ${remote}/${change.branch}`);
				const commit = await commitFileToBranch(ctx.git, remote, change, message, ctx.signal);
				pushed.push(`${change.branch} (${commit.slice(0, 12)})`);
			}
			const check = await workflowCheck(ctx);
			if (check?.status !== 'pass' && check?.status !== 'warn') {
				throw new OpsError('failure', `CI still does not build :${staging.tag} from ${staging.branch}${pushed.length ? ` after pushing to ${pushed.join(' and ')}` : ''}: ${check?.detail ?? 'the workflows could not be read'}`, {
					hint: `Fix .github/workflows on ${production.branch} and ${staging.branch} by hand (seed Task 1.2), then run setup staging again.`,
				});
			}
			return `pushed the trigger for ${staging.branch} to ${pushed.join(' and ') || 'no branch'}; ${check.detail}`;
		},
	};
}

// ------------------------------------------------------------ 3. the staging database

function pgExec(profile: Profile, superuser: string, database: string, sql: string): ShellScript {
	return sh`docker exec -i ${profile.postgres.container ?? 'postgres'} psql -X -q -v ON_ERROR_STOP=1 -U ${superuser} -d ${database} -tA -c ${sql}`;
}

const literal = (s: string) => `'${s.replaceAll("'", "''")}'`;
const ident = (s: string) => `"${s.replaceAll('"', '""')}"`;

async function pgSuperuser(ctx: SetupContext): Promise<string> {
	const container = ctx.profile.postgres.container;
	if (!container) throw new OpsError('config', 'postgres.container is not set in the profile: the database step runs psql inside the PostgreSQL container.', {hint: 'Set it (jutsu-ops init --discover finds it). Nothing was changed.'});
	const r = await exec(ctx, sh`docker inspect --type container --format '{{range .Config.Env}}{{println .}}{{end}}' ${container}`, 20_000);
	if (r.code !== 0) throw new OpsError('remote', `The PostgreSQL container ${container} was not found: ${firstLine(r.stderr)}`, {hint: 'Nothing was changed.'});
	return r.stdout.split('\n').find(l => l.startsWith('POSTGRES_USER='))?.slice('POSTGRES_USER='.length) || 'postgres';
}

function databaseStep(profile: Profile): SetupStep {
	const {production, staging} = profile.environments;
	return {
		id: 'database', title: `Database ${staging.database}: production's encoding, collation and owner; production's schema only`,
		async inspect(ctx) {
			const su = await pgSuperuser(ctx);
			const r = await exec(ctx, pgExec(profile, su, 'postgres', `SELECT pg_encoding_to_char(encoding) || '|' || datcollate || '|' || datctype || '|' || pg_get_userbyid(datdba) FROM pg_database WHERE datname = ${literal(production.database)} UNION ALL SELECT 'staging' FROM pg_database WHERE datname = ${literal(staging.database)}`));
			if (r.code !== 0) throw new OpsError('remote', `Could not query PostgreSQL in ${profile.postgres.container}: ${firstLine(r.stderr)}`, {hint: 'Nothing was changed.'});
			const lines = r.stdout.trim().split('\n').filter(Boolean);
			const prod = lines.find(l => l.includes('|'));
			if (!prod) throw new OpsError('failure', `Production's database ${production.database} does not exist in ${profile.postgres.container}.`, {hint: 'Nothing was changed. Check the profile.'});
			const [encoding, collate, ctype, owner] = prod.split('|') as [string, string, string, string];
			const create = `CREATE DATABASE ${ident(staging.database)} WITH OWNER ${ident(owner)} TEMPLATE template0 ENCODING ${literal(encoding)} LC_COLLATE ${literal(collate)} LC_CTYPE ${literal(ctype)}`;
			const schema = `docker exec -i ${profile.postgres.container} pg_dump -U ${su} --schema-only ${production.database} | docker exec -i ${profile.postgres.container} psql -U ${su} -v ON_ERROR_STOP=1 -d ${staging.database}`;
			if (!lines.includes('staging')) return {done: false, detail: `${staging.database} does not exist`, preview: [create, schema]};
			const t = await exec(ctx, pgExec(profile, su, staging.database, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`));
			const tables = Number(t.stdout.trim() || 0);
			if (t.code === 0 && tables > 0) return {done: true, detail: `${staging.database} exists with ${tables} tables`, preview: []};
			return {done: false, detail: `${staging.database} exists but has no tables`, preview: [schema]};
		},
		async run(ctx) {
			const state = await this.inspect(ctx);
			if (state.done) return state.detail;
			const su = await pgSuperuser(ctx);
			const pg = profile.postgres.container!;
			if (state.preview.length === 2) {
				const created = await exec(ctx, pgExec(profile, su, 'postgres', state.preview[0]!));
				if (created.code !== 0) throw new OpsError('failure', `CREATE DATABASE ${staging.database} failed: ${firstLine(created.stderr)}`, {untouched: 'No database was created.'});
			}
			// Each docker exec client is bounded: if PostgreSQL dies mid-copy, dockerd can leave a client waiting on a
			// dead exec for ever (see the safe sync script's watchdog); timeout ends it and the step fails instead.
			const schema = await exec(ctx, sh`set -o pipefail
timeout -k 5 240 docker exec -i ${pg} pg_dump -U ${su} --schema-only ${production.database} | timeout -k 5 240 docker exec -i ${pg} psql -X -q -U ${su} -v ON_ERROR_STOP=1 -d ${staging.database} >/dev/null`, 300_000);
			if (schema.code !== 0) {
				const why = schema.code === 124 || schema.code === 137 ? 'it did not finish within 4 minutes (is PostgreSQL up?)' : firstLine(schema.stderr);
				throw new OpsError('failure', `Applying production's schema to ${staging.database} failed: ${why}`, {hint: 'The database exists; run setup staging again once the cause is fixed (an empty database gets the schema).'});
			}
			return `created ${staging.database} and applied production's schema`;
		},
	};
}

// ------------------------------------------------------------ 4. the staging container

/** jq: the create body for staging from production's (CREATE_BODY_JQ output), with the staging overrides. */
export const STAGING_BODY_JQ = `
def appdata_rename: if test("^/mnt/[^/]+/appdata/[^/]+") then sub("^(?<p>/mnt/[^/]+/appdata/[^/]+)"; "\\(.p)-staging") else . end;
def drop_env($names): map(select((split("=")[0]) as $n | ($names | index([$n])) == null and ($n | test("^SCHWAB_") and $n != "SCHWAB_ENABLED" | not)));
($over | to_entries | map(.key)) as $names |
.Image = $image |
.Env = ((.Env // []) | drop_env($names + ["SECRET_KEY"])) + ($over | to_entries | map("\\(.key)=\\(.value)")) + ["SECRET_KEY=\\($secret)"] |
.HostConfig.PortBindings = ((.HostConfig.PortBindings // {}) | with_entries(
    if .key == "8000/tcp" then .value = (.value | map(.HostPort = ($api | tostring)))
    elif .key == "3000/tcp" then .value = (.value | map(.HostPort = ($ui | tostring)))
    else empty end)) |
.HostConfig.Binds = ((.HostConfig.Binds // []) | map(select(startswith("/")) | select(test("token"; "i") | not)
    | (split(":")) as $p | ([($p[0] | appdata_rename)] + $p[1:]) | join(":"))) |
.HostConfig.Mounts = ((.HostConfig.Mounts // []) | map(select(.Type == "bind") | select((.Source + .Target) | test("token"; "i") | not) | .Source |= appdata_rename)) |
.Labels = ((.Labels // {}) | with_entries(select(.key | test("revision") | not))
    | with_entries(if .key == "net.unraid.docker.webui" then .value |= (gsub("\\\\[PORT:\\($produi)\\\\]"; "[PORT:\\($ui)]") | gsub(":\\($produi)(?<end>/|$)"; ":\\($ui)\\(.end)")) else . end))
`;

export function stagingOverrides(profile: Profile): Record<string, string> {
	const {staging} = profile.environments;
	return {SCHWAB_ENABLED: 'false', PAPER_TRADING_ONLY: 'true', ENVIRONMENT: 'staging', POSTGRES_DATABASE: staging.database, LOG_LEVEL: 'DEBUG', ...staging.expect};
}

/** One remote script: wait for the tag, pull, build the body from production's inspect, create, start. The SECRET_KEY is generated here and never leaves the host. */
export function createStagingScript(profile: Profile, ciTimeoutSeconds: number, sourceOnStdin = false): ShellScript {
	const {production, staging} = profile.environments;
	const image = `${staging.image}:${staging.tag}`;
	const over = JSON.stringify(stagingOverrides(profile));
	return sh`set -o pipefail
for t in docker jq curl openssl; do command -v "$t" >/dev/null 2>&1 || { echo "jutsu-ops: $t: command not found" >&2; exit 127; }; done
case "\${DOCKER_HOST:-}" in unix://*) sock="\${DOCKER_HOST#unix://}" ;; *) sock=/var/run/docker.sock ;; esac
deadline=$(( $(date +%s) + ${ciTimeoutSeconds} ))
until docker pull -q ${image} >/dev/null 2>&1; do
  [ "$(date +%s)" -lt "$deadline" ] || { echo "jutsu-ops: ${image} is not in the registry (CI has not pushed it)" >&2; exit 4; }
  sleep 2
done
${sourceOnStdin ? sh`# production runs on another host: its config (without its secret key and credentials) comes on stdin
all=$(cat)
src=$(printf '%s' "$all" | jq '.container') && [ "$src" != null ] || { echo 'jutsu-ops: production container not found' >&2; exit 3; }
imgjson=$(printf '%s' "$all" | jq '.image')
unset all` : sh`src=$(docker inspect --type container ${production.container}) || { echo 'jutsu-ops: production container not found' >&2; exit 3; }
imgjson=$(docker image inspect "$(printf '%s' "$src" | jq -r '.[0].Image')" 2>/dev/null || echo '[]')`}
secret=$(openssl rand -hex 32) || exit 5
body=$( { printf '%s' "$src"; printf '%s' "$imgjson"; } | jq -s --arg image ${image} ${CREATE_BODY_JQ} \\
  | jq --arg image ${image} --arg secret "$secret" --argjson over ${over} --argjson api ${String(staging.apiPort)} --argjson ui ${String(staging.uiPort)} --argjson produi ${String(production.uiPort)} ${STAGING_BODY_JQ}) || exit 3
unset secret
printf '%s' "$body" | jq -r '(.HostConfig.Binds // [])[] | split(":")[0]' | while IFS= read -r d; do mkdir -p "$d"; done
resp=$(printf '%s' "$body" | curl -sS --unix-socket "$sock" -H 'Content-Type: application/json' -X POST --data-binary @- ${`http://localhost/containers/create?name=${staging.container}`}) || { echo 'jutsu-ops: the Docker Engine API did not answer' >&2; exit 6; }
unset body
id=$(printf '%s' "$resp" | jq -r '.Id // empty')
[ -n "$id" ] || { printf '%s' "$resp" | jq -r '"jutsu-ops: docker refused to create the container: " + (.message // "unknown error")' >&2; exit 7; }
docker start ${staging.container} >/dev/null || exit 8
echo "$id"`;
}

/** jq, run on production's host: its inspect without SECRET_KEY and SCHWAB_* credentials (SCHWAB_ENABLED stays), plus its image's inspect. */
export const PRODUCTION_SOURCE_JQ = '{container: map(.Config.Env |= ((. // []) | map(select(test("^(SECRET_KEY|SCHWAB_[A-Z0-9_]*)=") and (test("^SCHWAB_ENABLED=") | not) | not)))), image: $image}';

/**
 * Production's container and image config read on production's host, for a staging host elsewhere. Its SECRET_KEY
 * and SCHWAB_* credentials are dropped on production's host, so they never travel; staging gets its own.
 */
async function productionSource(ctx: SetupContext): Promise<string> {
	const {production} = ctx.profile.environments;
	const r = await exec(ctx, sh`set -o pipefail
src=$(docker inspect --type container ${production.container}) || { echo 'jutsu-ops: production container not found' >&2; exit 3; }
img=$(docker image inspect "$(printf '%s' "$src" | jq -r '.[0].Image')" 2>/dev/null || echo '[]')
printf '%s' "$src" | jq -c --argjson image "$img" ${PRODUCTION_SOURCE_JQ}`, 60_000, 'production');
	if (r.code !== 0) throw new OpsError('failure', `Reading ${production.container}'s config on ${ctx.session.transportFor('production').label} failed: ${firstLine(r.stderr)}`, {untouched: 'No container was created; production was not touched.'});
	return r.stdout;
}

function containerStep(profile: Profile): SetupStep {
	const {production, staging} = profile.environments;
	return {
		id: 'container', title: `Container ${staging.container} from ${production.container}'s config on :${staging.tag}`,
		async inspect(ctx) {
			const r = await exec(ctx, sh`docker inspect --type container -f '{{.State.Status}}' ${staging.container}`, 20_000, 'staging');
			const overrides = Object.entries(stagingOverrides(profile)).map(([k, v]) => `${k}=${v}`).join(' ');
			const preview = [
				`docker pull ${staging.image}:${staging.tag} (waits for CI)`,
				`create ${staging.container} from docker inspect ${production.container}: image :${staging.tag}, ports ${staging.apiPort}/${staging.uiPort}, appdata folders <name>-staging (created), no token volume, no SCHWAB_* credentials`,
				`env overrides: ${overrides} SECRET_KEY=<openssl rand -hex 32 on the host, never shown>`,
				`docker start ${staging.container}, then wait until healthy`,
			];
			if (r.code !== 0) return {done: false, detail: `${staging.container} does not exist`, preview};
			const status = r.stdout.trim();
			if (status === 'running') return {done: true, detail: `${staging.container} exists and is running`, preview: []};
			return {done: false, detail: `${staging.container} exists but is ${status}`, preview: [`docker start ${staging.container}`]};
		},
		async run(ctx) {
			const state = await this.inspect(ctx);
			if (state.done) return state.detail;
			let how: string;
			if (/exists but is/u.test(state.detail)) {
				const r = await exec(ctx, sh`docker start ${staging.container}`, 120_000, 'staging');
				if (r.code !== 0) throw new OpsError('failure', `docker start ${staging.container} failed: ${firstLine(r.stderr)}`, {untouched: 'The container exists (created, not running); production was not touched.', hint: 'Fix the cause (e.g. free the port), then run setup staging again.'});
				how = `started the existing ${staging.container}`;
			} else {
				ctx.progress(`waiting for :${staging.tag} in the registry, then creating ${staging.container}`);
				const across = ctx.session.transportFor('staging') !== ctx.session.transportFor('production');
				const source = across ? await productionSource(ctx) : undefined;
				const r = await exec(ctx, createStagingScript(profile, Math.round(ctx.ciTimeoutMs / 1000), across), ctx.ciTimeoutMs + 120_000, 'staging', source);
				if (r.code !== 0) {
					const line = firstLine(r.stderr.split('\n').filter(l => l.startsWith('jutsu-ops:') || /Error|error/u.test(l)).join('\n') || r.stderr);
					const created = r.code === 8;
					throw new OpsError('failure', `Creating ${staging.container} failed (exit ${r.code}): ${line.replace(/^jutsu-ops: /u, '')}`, {
						untouched: created ? `${staging.container} was created but is not running; production was not touched.` : `No container was created; production was not touched.`,
						hint: 'Fix the cause (e.g. free the port), then run setup staging again: done steps are skipped.',
					});
				}
				how = `created ${staging.container} (${r.stdout.trim().slice(0, 12)})`;
			}
			const onStaging = sessionOn(ctx.session, 'staging');
			const reason = await waitHealthy(onStaging, staging.container, staging.apiPort, 90_000, ctx.signal, ctx.progress);
			if (reason) throw new OpsError('failure', `${staging.container} is running but not healthy: ${reason}`, {hint: `docker logs ${staging.container}; production was not touched.`});
			// the app answers before Docker's own healthcheck has passed once; the Safety checks read the latter
			for (let i = 0; i < 30; i++) {
				const state = await containerState(onStaging, staging.container, ctx.signal);
				if (state.health !== 'starting') break;
				await sleep(1000, ctx.signal);
			}
			return `${how}; healthy`;
		},
	};
}

// ------------------------------------------------------------ 5. safe sync script, schedule, first sync

function syncStep(profile: Profile): SetupStep {
	return {
		id: 'sync', title: `Safe sync script, its ${profile.sync.schedule} ${profile.sync.timezone} schedule, and a first sync`,
		async inspect(ctx) {
			const {transport} = ctx.session;
			const [preview, schedule, history] = await Promise.all([
				previewSafeScript(transport, profile, ctx.signal),
				readSchedule(transport, profile, ctx.signal),
				readHistory(transport, profile, ctx.signal),
			]);
			const scheduled = schedule.source !== 'none' && scheduleMeansTwoAm(schedule, profile).ok;
			const synced = history.some(h => h.status === 'success');
			const todo = [
				...(preview.isSafeAlready ? [] : [`install the safe sync script at ${preview.path}${preview.exists ? ' (the current file kept as .bak)' : ''}`]),
				...(scheduled ? [] : [`install the schedule (${schedule.isUnraid ? 'User Scripts' : 'crontab'}): 2 AM ${profile.sync.timezone}`]),
				...(synced ? [] : ['run the sync once (production read-only) and verify it']),
			];
			return {done: todo.length === 0, detail: `script ${preview.isSafeAlready ? 'safe' : preview.exists ? 'not the safe one' : 'missing'}; schedule ${scheduled ? 'ok' : 'missing'}; ${synced ? 'synced before' : 'never synced'}`, preview: todo};
		},
		async run(ctx) {
			const {transport} = ctx.session;
			const done: string[] = [];
			const preview = await previewSafeScript(transport, profile, ctx.signal);
			if (!preview.isSafeAlready) {
				await installSafeScript(transport, profile, ctx.signal);
				done.push('installed the safe script');
			}
			const schedule = await readSchedule(transport, profile, ctx.signal);
			if (schedule.source === 'none' || !scheduleMeansTwoAm(schedule, profile).ok) {
				await installSchedule(transport, profile, ctx.signal);
				done.push('installed the schedule');
			}
			const history = await readHistory(transport, profile, ctx.signal);
			if (!history.some(h => h.status === 'success')) {
				ctx.progress('running the first sync');
				const watch = new SyncWatch(profile);
				await runSyncLive(transport, watch, {signal: ctx.signal});
				if (watch.end?.code !== 0 || !(watch.verify?.ok ?? false)) throw new OpsError('failure', `The first sync failed: ${watch.parsed?.error ?? watch.error ?? `exit ${watch.end?.code ?? '-'}`}`, {hint: 'jutsu-ops sync history / sync preflight show why; run setup staging again after fixing it.'});
				done.push('ran the first sync (verified)');
			}
			return done.join('; ') || 'nothing to do';
		},
	};
}

// ------------------------------------------------------------ 6. the Safety checks

function safetyStep(): SetupStep {
	return {
		id: 'safety', title: 'Safety checks',
		async inspect() {
			return {done: false, detail: 'always run last (read-only)', preview: ['jutsu-ops verify: every Safety check (read-only)']};
		},
		async run(ctx) {
			const report = await runSafety(sessionInputs(ctx.session), {}, () => undefined, ctx.signal);
			ctx.safety = report;
			const failed = report.checks.filter(c => c.status === 'fail');
			if (failed.length > 0) throw new OpsError('failure', `${failed.length} Safety check(s) fail: ${failed.map(c => `${c.id} (${c.detail})`).join('; ')}`, {hint: 'jutsu-ops verify shows each with its remedy.'});
			const {pass, warn, skip} = report.summary;
			const warnings = report.checks.filter(c => c.status === 'warn').map(c => `${c.id}: ${c.detail}`);
			return `${pass} pass, ${warn} warn, ${skip} skip, 0 fail${warnings.length ? ` (${warnings.join('; ')})` : ''}`;
		},
	};
}

export function setupSteps(profile: Profile): SetupStep[] {
	return [branchStep(profile), workflowStep(profile), databaseStep(profile), containerStep(profile), templateStep(profile), syncStep(profile), safetyStep()];
}

// ------------------------------------------------------------ the runner

export type StepOutcome = 'done-before' | 'ran' | 'would-run' | 'failed' | 'not-reached' | 'declined';

export interface StepReport {
	id: string;
	title: string;
	outcome: StepOutcome;
	detail: string;
	preview: string[];
	durationMs?: number;
}

export interface SetupReport {
	ok: boolean;
	dryRun: boolean;
	steps: StepReport[];
	safety?: SafetyReport;
}

export interface SetupOptions {
	dryRun?: boolean;
	signal: AbortSignal;
	ciTimeoutMs?: number;
	/** Asked before each step that would change something; false declines (and stops). */
	confirm?: (step: StepReport) => Promise<boolean>;
	onStep?: (step: StepReport) => void;
	onProgress?: (message: string) => void;
}

export async function setupStaging(session: Session, options: SetupOptions): Promise<SetupReport> {
	const {profile} = session;
	if (session.readOnly && !options.dryRun) throw new OpsError('usage', 'setup staging changes the host; --read-only allows only --dry-run. Nothing was changed.');
	const ctx: SetupContext = {
		session, profile, signal: options.signal, ciTimeoutMs: options.ciTimeoutMs ?? 600_000,
		git: gitRunner(profile.repo.path, e => session.audit.record({host: 'local', kind: 'command', command: e.command, exitCode: e.code, durationMs: e.durationMs, outcome: e.code === 0 ? 'ok' : 'failed'})),
		progress: message => options.onProgress?.(message),
	};
	const steps = setupSteps(profile);
	const reports: StepReport[] = steps.map(s => ({id: s.id, title: s.title, outcome: 'not-reached', detail: '', preview: []}));
	const emit = (r: StepReport) => options.onStep?.(r);
	let ok = true;
	for (const [i, step] of steps.entries()) {
		const report = reports[i]!;
		const started = Date.now();
		try {
			const state = await step.inspect(ctx);
			report.detail = state.detail;
			report.preview = state.preview;
			if (state.done) {
				report.outcome = 'done-before';
				emit(report);
				continue;
			}
			if (options.dryRun) {
				report.outcome = 'would-run';
				emit(report);
				continue;
			}
			if (options.confirm && !(await options.confirm(report))) {
				report.outcome = 'declined';
				ok = false;
				emit(report);
				break;
			}
			report.detail = await step.run(ctx);
			report.outcome = 'ran';
			report.durationMs = Date.now() - started;
			session.audit.record({host: session.transport.label, kind: 'action', action: `setup ${step.id}`, detail: report.detail, durationMs: report.durationMs, outcome: 'ok'});
			emit(report);
		} catch (error) {
			report.outcome = 'failed';
			report.detail = describeError(error).join(' ');
			report.durationMs = Date.now() - started;
			session.audit.record({host: session.transport.label, kind: 'action', action: `setup ${step.id}`, detail: report.detail, durationMs: report.durationMs, outcome: options.signal.aborted ? 'aborted' : 'failed'});
			ok = false;
			emit(report);
			if (options.signal.aborted) throw error;
			break;
		}
	}
	return {ok, dryRun: Boolean(options.dryRun), steps: reports, ...(ctx.safety ? {safety: ctx.safety} : {})};
}
