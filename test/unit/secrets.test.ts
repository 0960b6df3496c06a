import {describe, expect, it} from 'vitest';
import {MASK, SecretScrubber, maskEnv} from '../../source/core/secrets.js';

describe('secrets', () => {
	it('masks secret env values at the source and compares them by hash', () => {
		const a = maskEnv(['SECRET_KEY=abc123def', 'POSTGRES_PASSWORD=pw-value', 'ENVIRONMENT=staging', 'SCHWAB_CLIENT_SECRET=']);
		const b = maskEnv(['SECRET_KEY=abc123def']);
		const c = maskEnv(['SECRET_KEY=other-value']);
		expect(JSON.stringify(a)).not.toContain('abc123def');
		expect(JSON.stringify(a)).not.toContain('pw-value');
		expect(a.find(v => v.name === 'ENVIRONMENT')?.value).toBe('staging');
		expect(a.find(v => v.name === 'SECRET_KEY')?.value).toBe(MASK);
		expect(a[0]?.hash).toBe(b[0]?.hash);
		expect(a[0]?.hash).not.toBe(c[0]?.hash);
		expect(a.find(v => v.name === 'SCHWAB_CLIENT_SECRET')?.set).toBe(false);
	});

	it('scrubs known values and inline assignments from free text', () => {
		const s = new SecretScrubber();
		s.add('hunter22');
		expect(s.scrub('psql --password hunter22 x')).toBe(`psql --password ${MASK} x`);
		expect(s.scrub("export PGPASSWORD='zzz top'; pg_dump")).toBe(`export PGPASSWORD=${MASK}; pg_dump`);
	});
});
