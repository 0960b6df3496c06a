/**
 * Reads a GitHub Actions workflow well enough to answer one question: which image tag does a push to a branch
 * build? A small YAML subset (block maps and lists, flow lists, quoted scalars, `|`/`>` block scalars) and a tiny
 * evaluator for the `${{ }}` expressions and `echo "k=v" >> $GITHUB_OUTPUT` steps that such workflows use.
 * Anything it cannot follow makes the answer `undefined` (the check then warns), never a guess.
 */

export type Yaml = string | null | Yaml[] | {[key: string]: Yaml};

interface Line {
	indent: number;
	text: string;
	/** the raw line, for block scalars */
	raw: string;
}

function stripComment(text: string): string {
	let quote: string | undefined;
	for (let i = 0; i < text.length; i++) {
		const c = text[i];
		if (quote) {
			if (c === quote) quote = undefined;
		} else if (c === '"' || c === '\'') {
			if (i === 0 || /[\s:[,{-]/u.test(text[i - 1] ?? '')) quote = c;
		} else if (c === '#' && (i === 0 || /\s/u.test(text[i - 1] ?? ''))) {
			return text.slice(0, i).trimEnd();
		}
	}
	return text.trimEnd();
}

function scalar(text: string): Yaml {
	const t = text.trim();
	if (t === '' || t === '~' || t === 'null') return null;
	if (t.startsWith('"') && t.endsWith('"') && t.length >= 2) return t.slice(1, -1).replaceAll('\\"', '"');
	if (t.startsWith('\'') && t.endsWith('\'') && t.length >= 2) return t.slice(1, -1).replaceAll('\'\'', '\'');
	if (t.startsWith('[') && t.endsWith(']')) {
		const inner = t.slice(1, -1).trim();
		return inner === '' ? [] : inner.split(',').map(part => scalar(part));
	}
	return t;
}

/** Split `key: value` at the first colon followed by a space or the end (outside quotes). */
function splitKey(text: string): [string, string] | undefined {
	let quote: string | undefined;
	for (let i = 0; i < text.length; i++) {
		const c = text[i];
		if (quote) {
			if (c === quote) quote = undefined;
		} else if ((c === '"' || c === '\'') && i === 0) quote = c;
		else if (c === ':' && (i + 1 === text.length || text[i + 1] === ' ')) {
			const key = scalar(text.slice(0, i));
			return [typeof key === 'string' ? key : String(key), text.slice(i + 1).trim()];
		}
	}
	return undefined;
}

export function parseYaml(source: string): Yaml {
	const lines: Line[] = [];
	for (const raw of source.replaceAll('\r', '').split('\n')) {
		const text = stripComment(raw);
		if (text.trim() === '' || text.trim() === '---') {
			lines.push({indent: -1, text: '', raw});
			continue;
		}
		lines.push({indent: text.length - text.trimStart().length, text: text.trim(), raw});
	}
	let pos = 0;
	const skipBlank = () => {
		while (pos < lines.length && lines[pos]!.indent === -1) pos++;
	};

	function blockScalar(parentIndent: number, folded: boolean): string {
		const out: string[] = [];
		let indent: number | undefined;
		while (pos < lines.length) {
			const line = lines[pos]!;
			const rawIndent = line.raw.length - line.raw.trimStart().length;
			if (line.raw.trim() !== '' && rawIndent <= parentIndent) break;
			if (line.raw.trim() !== '') indent ??= rawIndent;
			out.push(line.raw.slice(indent ?? rawIndent));
			pos++;
		}
		while (out.length > 0 && out.at(-1)!.trim() === '') out.pop();
		return folded ? out.join(' ') : out.join('\n');
	}

	function valueAfter(rest: string, indent: number): Yaml {
		if (rest === '|' || rest === '|-' || rest === '|+' || rest === '>' || rest === '>-' || rest === '>+') {
			return blockScalar(indent, rest.startsWith('>'));
		}
		if (rest !== '') return scalar(rest);
		skipBlank();
		const next = lines[pos];
		if (!next || next.indent < indent || (next.indent === indent && !next.text.startsWith('- '))) return null;
		if (next.indent === indent && next.text.startsWith('- ')) return node(indent);
		return node(next.indent);
	}

	function node(indent: number): Yaml {
		skipBlank();
		const first = lines[pos];
		if (!first) return null;
		if (first.text === '-' || first.text.startsWith('- ')) {
			const list: Yaml[] = [];
			while (true) {
				skipBlank();
				const line = lines[pos];
				if (!line || line.indent !== indent || !(line.text === '-' || line.text.startsWith('- '))) break;
				const rest = line.text.slice(1).trim();
				const itemIndent = indent + (line.text.length - line.text.slice(1).trimStart().length);
				if (rest === '') {
					pos++;
					list.push(valueAfter('', indent + 1));
				} else if (splitKey(rest) && !rest.startsWith('"') && !rest.startsWith('\'')) {
					// "- key: value" starts a map whose keys sit at itemIndent
					lines[pos] = {indent: itemIndent, text: rest, raw: ' '.repeat(itemIndent) + rest};
					list.push(map(itemIndent));
				} else {
					pos++;
					list.push(scalar(rest));
				}
			}
			return list;
		}
		if (splitKey(first.text)) return map(indent);
		pos++;
		return scalar(first.text);
	}

	function map(indent: number): Yaml {
		const out: Record<string, Yaml> = {};
		while (true) {
			skipBlank();
			const line = lines[pos];
			if (!line || line.indent !== indent) break;
			const kv = splitKey(line.text);
			if (!kv) break;
			pos++;
			out[kv[0]] = valueAfter(kv[1], indent);
		}
		return out;
	}

	skipBlank();
	return node(lines[pos]?.indent ?? 0);
}

// ---------------------------------------------------------------- what a push builds

const asMap = (v: Yaml | undefined): Record<string, Yaml> | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? v : undefined);
const asList = (v: Yaml | undefined): Yaml[] => (Array.isArray(v) ? v : typeof v === 'string' ? [v] : []);
const asStrings = (v: Yaml | undefined): string[] => asList(v).filter((x): x is string => typeof x === 'string');

function globToRegExp(glob: string): RegExp {
	let out = '';
	for (let i = 0; i < glob.length; i++) {
		const c = glob[i]!;
		if (c === '*' && glob[i + 1] === '*') {
			out += '.*';
			i++;
		} else if (c === '*') out += '[^/]*';
		else if (c === '?') out += '.';
		else out += c.replace(/[.+^${}()|[\]\\]/gu, '\\$&');
	}
	return new RegExp(`^${out}$`, 'u');
}

/** Whether a push to `branch` triggers this workflow. */
export function triggersOnPush(workflow: Yaml, branch: string): boolean {
	const root = asMap(workflow);
	if (!root) return false;
	const on = root.on ?? root.true ?? null;
	if (typeof on === 'string') return on === 'push';
	if (Array.isArray(on)) return on.includes('push');
	const events = asMap(on);
	if (!events || !('push' in events)) return false;
	const push = asMap(events.push);
	if (!push) return true;
	const branches = asStrings(push.branches);
	const ignore = asStrings(push['branches-ignore']);
	if (branches.length === 0 && ignore.length === 0) return !('tags' in push) || 'branches' in push;
	if (ignore.length > 0) return !ignore.some(g => globToRegExp(g).test(branch));
	let matched = false;
	for (const pattern of branches) {
		if (pattern.startsWith('!')) {
			if (globToRegExp(pattern.slice(1)).test(branch)) matched = false;
		} else if (globToRegExp(pattern).test(branch)) matched = true;
	}
	return matched;
}

interface Scope {
	branch: string;
	outputs: Map<string, Map<string, string>>;
	env: Record<string, string>;
}

/** Evaluate `${{ ... }}` in text; undefined when an expression is not understood. */
function expand(text: string, scope: Scope): string | undefined {
	let failed = false;
	const out = text.replace(/\$\{\{\s*(.*?)\s*\}\}/gu, (_m, expr: string) => {
		const value = evalExpression(expr, scope);
		if (value === undefined) failed = true;
		return value ?? '';
	});
	return failed ? undefined : out;
}

function evalExpression(expr: string, scope: Scope): string | undefined {
	const e = expr.trim();
	if (e === 'github.ref_name' || e === 'github.head_ref || github.ref_name') return scope.branch;
	if (e === 'github.ref') return `refs/heads/${scope.branch}`;
	if (e.startsWith('secrets.') || e.startsWith('vars.')) return `<${e}>`;
	if (e.startsWith('github.') || e.startsWith('env.')) {
		const name = e.slice(e.indexOf('.') + 1);
		if (e.startsWith('env.') && name in scope.env) return scope.env[name];
		if (e === 'github.repository') return '<github.repository>';
		if (e === 'github.sha') return '<sha>';
		return undefined;
	}
	const step = /^steps\.([\w-]+)\.outputs\.([\w-]+)$/u.exec(e);
	if (step) return scope.outputs.get(step[1]!)?.get(step[2]!);
	const literal = /^'([^']*)'$/u.exec(e);
	if (literal) return literal[1];
	return undefined;
}

function shellValue(text: string, scope: Scope): string | undefined {
	let t = text.trim();
	if ((t.startsWith('"') && t.endsWith('"')) || (t.startsWith('\'') && t.endsWith('\''))) t = t.slice(1, -1);
	let failed = false;
	const out = t.replace(/\$\{([A-Za-z_]\w*)(#[^}]*)?\}|\$([A-Za-z_]\w*)/gu, (_m, braced: string | undefined, strip: string | undefined, bare: string | undefined) => {
		const name = braced ?? bare ?? '';
		let value: string | undefined;
		if (name === 'GITHUB_REF') value = `refs/heads/${scope.branch}`;
		else if (name === 'GITHUB_REF_NAME') value = scope.branch;
		else value = scope.env[name];
		if (value === undefined) {
			failed = true;
			return '';
		}
		if (strip) {
			const prefix = strip.slice(1);
			if (value.startsWith(prefix)) value = value.slice(prefix.length);
		}
		return value;
	});
	return failed ? undefined : out;
}

/** Run the `if [ a = b ]; then / else / fi` + `echo "k=v" >> $GITHUB_OUTPUT` subset of a step's script. */
function runScript(script: string, scope: Scope): Map<string, string> | undefined {
	const outputs = new Map<string, string>();
	const stack: {taken: boolean; active: boolean}[] = [];
	const active = () => stack.every(s => s.active);
	for (const raw of script.split('\n')) {
		const line = raw.trim().replace(/;\s*then$/u, '').trim();
		if (line === '' || line.startsWith('#')) continue;
		const cond = /^(if|elif)\s+\[\[?\s+(.+?)\s+(==|=|!=)\s+(.+?)\s+\]\]?$/u.exec(line);
		if (cond) {
			const a = shellValue(cond[2]!, scope);
			const b = shellValue(cond[4]!, scope);
			if (a === undefined || b === undefined) return undefined;
			const result = cond[3] === '!=' ? a !== b : a === b;
			if (cond[1] === 'if') stack.push({taken: result, active: result});
			else {
				const top = stack.at(-1);
				if (!top) return undefined;
				top.active = !top.taken && result;
				top.taken ||= result;
			}
			continue;
		}
		if (line === 'else') {
			const top = stack.at(-1);
			if (!top) return undefined;
			top.active = !top.taken;
			top.taken = true;
			continue;
		}
		if (line === 'fi') {
			stack.pop();
			continue;
		}
		if (!active()) continue;
		const echo = /^echo\s+(.+?)\s*>>\s*"?\$\{?GITHUB_OUTPUT\}?"?$/u.exec(line);
		if (echo) {
			const text = shellValue(echo[1]!, scope);
			if (text === undefined) return undefined;
			const eq = text.indexOf('=');
			if (eq > 0) outputs.set(text.slice(0, eq), text.slice(eq + 1));
			continue;
		}
		if (/GITHUB_OUTPUT/u.test(line)) return undefined;
	}
	return outputs;
}

/**
 * The image references a push to `branch` builds and pushes (from docker/build-push-action `tags`, or
 * `docker build -t` / `docker push` in a run step). Undefined when the workflow does something this reader
 * cannot follow.
 */
export function tagsBuiltFor(workflow: Yaml, branch: string): string[] | undefined {
	const root = asMap(workflow);
	const jobs = asMap(root?.jobs);
	if (!jobs) return undefined;
	const tags: string[] = [];
	let understood = true;
	const workflowEnv = Object.fromEntries(Object.entries(asMap(root?.env) ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string'));
	for (const job of Object.values(jobs)) {
		const steps = asList(asMap(job)?.steps);
		const scope: Scope = {branch, outputs: new Map(), env: {...workflowEnv}};
		for (const entry of steps) {
			const step = asMap(entry);
			if (!step) continue;
			const uses = typeof step.uses === 'string' ? step.uses : '';
			const run = typeof step.run === 'string' ? step.run : '';
			const condition = typeof step.if === 'string' ? step.if : undefined;
			if (condition) {
				const m = /^\s*(?:\$\{\{\s*)?github\.ref(_name)?\s*==\s*'([^']*)'\s*(?:\}\})?\s*$/u.exec(condition);
				if (!m) {
					understood = false;
					continue;
				}
				const actual = m[1] ? branch : `refs/heads/${branch}`;
				if (actual !== m[2]) continue;
			}
			if (run) {
				const expanded = expand(run, scope);
				const outputs = expanded === undefined ? undefined : runScript(expanded, scope);
				if (typeof step.id === 'string') {
					if (outputs) scope.outputs.set(step.id, outputs);
				}
				if (expanded !== undefined) {
					for (const m of expanded.matchAll(/docker\s+(?:build|buildx\s+build)[^\n]*?\s(?:-t|--tag)\s+(\S+)/gu)) tags.push(m[1]!.replaceAll('"', ''));
				}
			}
			if (/^docker\/build-push-action@/u.test(uses)) {
				const withs = asMap(step.with);
				if (withs?.push === 'false') continue;
				const raw = withs?.tags;
				const list = typeof raw === 'string' ? raw.split(/[\n,]/u) : asStrings(raw);
				for (const item of list.map(s => s.trim()).filter(Boolean)) {
					const value = expand(item, scope);
					if (value === undefined || value.endsWith(':')) understood = false;
					else tags.push(value);
				}
			} else if (/^docker\/metadata-action@/u.test(uses)) {
				understood = false;
			}
		}
	}
	return understood ? tags : undefined;
}

/** The tag part of an image reference (`repo:tag` → `tag`; no tag → `latest`). */
export function tagOf(reference: string): string {
	const noDigest = reference.split('@')[0] ?? reference;
	const slash = noDigest.lastIndexOf('/');
	const colon = noDigest.lastIndexOf(':');
	return colon > slash ? noDigest.slice(colon + 1) : 'latest';
}
