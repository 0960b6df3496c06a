import {execFileSync} from 'node:child_process';
import {describe, expect, it} from 'vitest';
import {sh, shellJoin, shellQuote} from '../../source/core/quote.js';

const HOSTILE = [
	'plain',
	'with space',
	"it's",
	'"double"',
	'$(touch /tmp/jutsu-pwned)',
	'`touch /tmp/jutsu-pwned`',
	'a;rm -rf /tmp/nothing-here',
	'line1\nline2',
	'$HOME',
	'*',
	'back\\slash',
	'-n',
	'',
	"''",
	'&& echo pwned',
	'| cat /etc/passwd',
	'\t tab',
	'ünïcödé ✓',
	"'; echo pwned; '",
];

/** Run a command line through a real bash and return each argument it received. */
function argsSeenByBash(commandLine: string): string[] {
	const out = execFileSync('bash', ['-c', `${commandLine}`], {encoding: 'utf8'});
	return out.split('\0').slice(0, -1);
}

describe('shellQuote', () => {
	it.each(HOSTILE)('passes %j through bash unchanged, running nothing', value => {
		const seen = argsSeenByBash(`printf '%s\\0' ${shellQuote(value)}`);
		expect(seen).toEqual([value]);
	});

	it('keeps many hostile words apart and in order', () => {
		const seen = argsSeenByBash(`printf '%s\\0' ${shellJoin(HOSTILE)}`);
		expect(seen).toEqual(HOSTILE);
	});

	it('refuses a NUL byte rather than truncating silently', () => {
		expect(() => shellQuote('a\0b')).toThrow(/NUL/u);
	});

	it('quotes every interpolation of the sh template and keeps the literal parts', () => {
		const name = '$(id)';
		const script = sh`printf '%s\\0' ${name} ${['x y', "z'"]}`;
		expect(argsSeenByBash(script.text)).toEqual(['$(id)', 'x y', "z'"]);
	});
});
