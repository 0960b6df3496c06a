import {existsSync, readFileSync} from 'node:fs';
import {homedir} from 'node:os';
import {join} from 'node:path';
import type {Duplex} from 'node:stream';
import ssh2, {type ClientChannel, type ConnectConfig} from 'ssh2';

const {Client, utils: sshUtils} = ssh2;
type Client = InstanceType<typeof Client>;
import type {AuditLog} from '../audit/audit.js';
import {OpsError} from '../errors.js';
import {type RemoteCommand, toShell} from '../quote.js';
import {scrubber} from '../secrets.js';
import {appendKnownHost, checkHostKey, fingerprint, keyTypeOf, knownKeyTypes, readKnownHosts} from './known-hosts.js';
import type {ResolvedHost} from './resolve.js';
import type {ConnectionState, ExecOptions, ExecResult, Transport} from './types.js';

export interface HostKeyPrompt {
	host: string;
	port: number;
	keyType: string;
	fingerprint: string;
	knownHostsFile: string;
}

export interface SshOptions {
	host: ResolvedHost;
	connectTimeoutMs: number;
	commandTimeoutMs: number;
	audit?: AuditLog | undefined;
	/** Asked when the host key is unknown; return true to trust and record it. Absent: refuse. */
	confirmUnknownHost?: ((prompt: HostKeyPrompt) => Promise<boolean>) | undefined;
	/** Asked when a key file is encrypted. */
	askPassphrase?: ((keyFile: string) => Promise<string | undefined>) | undefined;
	keepaliveMs?: number;
	/** Reconnect after an unexpected drop. */
	reconnect?: boolean;
}

const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

function isEncryptedKey(text: string): boolean {
	if (text.includes('ENCRYPTED')) return true;
	const parsed = sshUtils.parseKey(text);
	return parsed instanceof Error && /passphrase/iu.test(parsed.message);
}

export class SshTransport implements Transport {
	readonly kind = 'ssh' as const;
	readonly label: string;
	private client: Client | undefined;
	private ready: Promise<void> | undefined;
	private current: ConnectionState = 'idle';
	private readonly listeners = new Set<(state: ConnectionState, detail?: string) => void>();
	private closing = false;
	private hostKeyError: OpsError | undefined;
	private privateKey: Buffer | undefined;
	private passphrase: string | undefined;
	private reconnectAttempt = 0;
	latencyMs: number | undefined;

	constructor(private readonly options: SshOptions) {
		const {host} = options;
		this.label = `${host.user}@${host.hostname}:${host.port}`;
	}

	get state(): ConnectionState {
		return this.current;
	}

	private setState(state: ConnectionState, detail?: string): void {
		this.current = state;
		for (const listener of this.listeners) listener(state, detail);
	}

	onStateChange(listener: (state: ConnectionState, detail?: string) => void): () => void {
		this.listeners.add(listener);
		return () => this.listeners.delete(listener);
	}

	private async loadKey(): Promise<void> {
		if (this.privateKey || process.env.SSH_AUTH_SOCK && this.options.host.identityFiles.length === 0) return;
		const candidates = this.options.host.identityFiles.length > 0
			? this.options.host.identityFiles
			: DEFAULT_KEYS.map(name => join(homedir(), '.ssh', name));
		for (const file of candidates) {
			if (!existsSync(file)) {
				if (this.options.host.identityFiles.length > 0) {
					throw new OpsError('auth', `The key file ${file} does not exist.`, {
						hint: 'Nothing was run on the host. Fix host.identityFile (or --identity), or use ssh-agent.',
					});
				}
				continue;
			}
			const text = readFileSync(file, 'utf8');
			if (isEncryptedKey(text)) {
				const passphrase = await this.options.askPassphrase?.(file);
				if (!passphrase) {
					throw new OpsError('auth', `The key ${file} is protected by a passphrase and none was given.`, {
						hint: 'Nothing was run on the host. Load it into ssh-agent (ssh-add) or run in a terminal to be asked.',
					});
				}
				this.passphrase = passphrase;
			}
			this.privateKey = Buffer.from(text);
			return;
		}
	}

	private verifyHostKey(key: Buffer, callback: (ok: boolean) => void): void {
		const {hostname, port, knownHosts} = this.options.host;
		const entries = readKnownHosts(knownHosts);
		const verdict = checkHostKey(entries, hostname, port, key);
		const fp = fingerprint(key);
		const where = port === 22 ? hostname : `[${hostname}]:${port}`;
		if (verdict.status === 'known') {
			callback(true);
			return;
		}
		if (verdict.status === 'revoked') {
			this.hostKeyError = new OpsError('host-key', `The host key of ${where} (${fp}) is marked @revoked in ${knownHosts}. Refused; nothing was run.`, {
				hint: 'Do not connect until the host has a new key you have verified.',
			});
			callback(false);
			return;
		}
		if (verdict.status === 'changed') {
			const lines = verdict.expected.map(e => e.line).join(', ');
			this.hostKeyError = new OpsError('host-key', `HOST KEY CHANGED for ${where}: it now presents ${keyTypeOf(key)} ${fp}, which does not match ${knownHosts} line ${lines}. Refused; nothing was run.`, {
				hint: 'This may be an attack or a reinstalled host. Verify the new fingerprint on the host, then remove the old line (ssh-keygen -R).',
			});
			callback(false);
			return;
		}
		const confirm = this.options.confirmUnknownHost;
		const refuse = () => {
			this.hostKeyError = new OpsError('host-key', `The host key of ${where} is not known (${keyTypeOf(key)} ${fp}). Refused; nothing was run.`, {
				hint: `Check the fingerprint on the host (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub), then run \`jutsu-ops trust\` in a terminal or add it to ${knownHosts}.`,
			});
			callback(false);
		};
		if (!confirm) {
			refuse();
			return;
		}
		confirm({host: hostname, port, keyType: keyTypeOf(key), fingerprint: fp, knownHostsFile: knownHosts}).then(ok => {
			if (!ok) {
				refuse();
				return;
			}
			appendKnownHost(knownHosts, hostname, port, key);
			callback(true);
		}, () => refuse());
	}

	private connectOnce(signal?: AbortSignal): Promise<void> {
		const {host, connectTimeoutMs} = this.options;
		this.hostKeyError = undefined;
		return new Promise<void>((resolve, reject) => {
			const client = new Client();
			let settled = false;
			const fail = (error: OpsError) => {
				if (settled) return;
				settled = true;
				signal?.removeEventListener('abort', onAbort);
				client.end();
				reject(error);
			};
			const onAbort = () => fail(new OpsError('aborted', `Connecting to ${this.label} was cancelled.`, {hint: 'Nothing was run on the host.'}));
			signal?.addEventListener('abort', onAbort, {once: true});
			const entries = readKnownHosts(host.knownHosts);
			const preferred = knownKeyTypes(entries, host.hostname, host.port);
			const config: ConnectConfig = {
				host: host.hostname,
				port: host.port,
				username: host.user,
				readyTimeout: connectTimeoutMs,
				keepaliveInterval: this.options.keepaliveMs ?? 10_000,
				keepaliveCountMax: 3,
				hostVerifier: ((key: Buffer, verify: (ok: boolean) => void) => this.verifyHostKey(key, verify)) as unknown as ConnectConfig['hostVerifier'],
			};
			if (preferred.length > 0) {
				const all = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
				const mapped = preferred.flatMap(t => (t === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [t]));
				config.algorithms = {serverHostKey: [...new Set([...mapped, ...all])] as never};
			}
			if (this.privateKey) config.privateKey = this.privateKey;
			if (this.passphrase) config.passphrase = this.passphrase;
			if (process.env.SSH_AUTH_SOCK) config.agent = process.env.SSH_AUTH_SOCK;
			client.once('ready', () => {
				if (settled) return;
				settled = true;
				signal?.removeEventListener('abort', onAbort);
				this.client = client;
				this.reconnectAttempt = 0;
				client.on('close', () => this.onDrop(client));
				client.on('error', () => undefined);
				this.setState('connected');
				resolve();
			});
			client.once('error', (error: Error & {level?: string; code?: string}) => fail(this.mapConnectError(error)));
			client.once('close', () => fail(new OpsError('connection', `The connection to ${this.label} closed during set-up.`, {hint: 'Nothing was run on the host. Check sshd on the host and try again.'})));
			// Without TCP_NODELAY each small SSH packet waits on delayed ACKs (~40 ms per round trip).
			client.once('connect', () => client.setNoDelay(true));
			try {
				client.connect(config);
				client.setNoDelay(true);
			} catch (error) {
				fail(this.mapConnectError(error as Error));
			}
		});
	}

	private mapConnectError(error: Error & {level?: string; code?: string}): OpsError {
		if (this.hostKeyError) return this.hostKeyError;
		const where = `${this.options.host.hostname}:${this.options.host.port}`;
		const untouched = 'Nothing was run on the host.';
		if (error.level === 'client-authentication') {
			const key = this.options.host.identityFiles[0] ?? (process.env.SSH_AUTH_SOCK ? 'ssh-agent' : '~/.ssh/id_*');
			return new OpsError('auth', `${where} refused authentication as ${this.options.host.user} with ${key}. ${untouched}`, {
				hint: 'Check host.user and host.identityFile (or --identity), and that the public key is in the host\'s authorized_keys.',
			});
		}
		if (error.level === 'client-timeout' || /Timed out while waiting for handshake/u.test(error.message)) {
			return new OpsError('timeout', `No SSH answer from ${where} within ${Math.round(this.options.connectTimeoutMs / 1000)} s. ${untouched}`, {
				hint: 'Check the host name and port, that the host is on, and the network path; raise timeouts.connectMs if the link is slow.',
			});
		}
		const code = error.code ?? '';
		if (code === 'ECONNREFUSED') {
			return new OpsError('connection', `Connection refused by ${where}. ${untouched}`, {hint: 'Check that sshd runs on the host and the port (host.port / --port) is right.'});
		}
		if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
			return new OpsError('connection', `Host name ${this.options.host.hostname} could not be resolved. ${untouched}`, {hint: 'Check host.alias (or --host) and ~/.ssh/config.'});
		}
		if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'ETIMEDOUT') {
			return new OpsError('connection', `${where} is unreachable (${code}). ${untouched}`, {hint: 'Check the network path to the host.'});
		}
		return new OpsError('connection', `SSH connection to ${where} failed: ${error.message.split('\n')[0]}. ${untouched}`, {hint: 'Check the host, port and key; run ssh by hand to compare.'});
	}

	async connect(signal?: AbortSignal): Promise<void> {
		if (this.current === 'connected' && this.client) return;
		if (this.ready) return this.ready;
		this.closing = false;
		this.setState('connecting');
		this.ready = (async () => {
			try {
				await this.loadKey();
				await this.connectOnce(signal);
			} catch (error) {
				this.setState('failed', error instanceof OpsError ? error.message : String(error));
				throw error;
			} finally {
				this.ready = undefined;
			}
		})();
		return this.ready;
	}

	private onDrop(client: Client): void {
		if (client !== this.client) return;
		this.client = undefined;
		if (this.closing) {
			this.setState('closed');
			return;
		}
		if (this.options.reconnect === false) {
			this.setState('failed', 'connection lost');
			return;
		}
		this.scheduleReconnect();
	}

	private scheduleReconnect(): void {
		this.setState('reconnecting', `attempt ${this.reconnectAttempt + 1}`);
		const delay = Math.min(15_000, 500 * 2 ** this.reconnectAttempt);
		this.reconnectAttempt++;
		this.ready = new Promise<void>((resolve, reject) => {
			const timer = setTimeout(() => {
				this.connectOnce().then(resolve, (error: unknown) => {
					if (error instanceof OpsError && (error.kind === 'host-key' || error.kind === 'auth')) {
						this.setState('failed', error.message);
						reject(error);
						return;
					}
					if (this.closing) {
						reject(error);
						return;
					}
					this.ready = undefined;
					this.scheduleReconnect();
					this.ready!.then(resolve, reject);
				});
			}, delay);
			timer.unref();
		});
		this.ready.catch(() => undefined);
		const pending = this.ready;
		void pending.finally(() => {
			if (this.ready === pending) this.ready = undefined;
		}).catch(() => undefined);
	}

	private async getClient(signal?: AbortSignal, timeoutMs?: number): Promise<Client> {
		if (this.client && this.current === 'connected') return this.client;
		if (this.current === 'idle' || this.current === 'closed' || this.current === 'failed') {
			await this.connect(signal);
		} else if (this.ready) {
			await withTimeout(this.ready, timeoutMs ?? this.options.commandTimeoutMs, signal, () => new OpsError('connection', `The connection to ${this.label} is down and did not come back in time. Nothing was run.`, {hint: 'Check the host and the network; the tool keeps trying to reconnect.'}));
		}
		if (!this.client) throw new OpsError('connection', `Not connected to ${this.label}. Nothing was run.`, {hint: 'Check the host and try again.'});
		return this.client;
	}

	async exec(command: RemoteCommand, options: ExecOptions = {}): Promise<ExecResult> {
		try {
			return await this.execOnce(command, options);
		} catch (error) {
			// The channel could not even be opened (the connection died just before): nothing ran, so one retry
			// on the reconnected session is safe.
			if (error instanceof NotStartedError && !options.signal?.aborted && !this.closing) {
				await new Promise(resolve => setTimeout(resolve, 100));
				return this.execOnce(command, options);
			}
			throw error;
		}
	}

	private async execOnce(command: RemoteCommand, options: ExecOptions): Promise<ExecResult> {
		const text = toShell(command);
		const timeoutMs = options.timeoutMs ?? this.options.commandTimeoutMs;
		const started = Date.now();
		const client = await this.getClient(options.signal, timeoutMs || undefined);
		if (options.signal?.aborted) throw abortedError(text);
		return new Promise<ExecResult>((resolve, reject) => {
			let stdout = '';
			let stderr = '';
			let channel: ClientChannel | undefined;
			let done = false;
			let timer: NodeJS.Timeout | undefined;
			const finish = (error: OpsError | undefined, result?: ExecResult) => {
				if (done) return;
				done = true;
				if (timer) clearTimeout(timer);
				options.signal?.removeEventListener('abort', onAbort);
				const durationMs = Date.now() - started;
				if (!options.quiet) {
					this.options.audit?.record({
						kind: 'command', host: this.label, command: text,
						exitCode: result?.code ?? null, durationMs,
						outcome: error ? (error.kind === 'timeout' ? 'timeout' : error.kind === 'aborted' ? 'aborted' : 'error') : result?.code === 0 ? 'ok' : 'failed',
					});
				}
				if (error) reject(error);
				else resolve(result!);
			};
			const stop = () => {
				if (!channel) return;
				try {
					channel.signal('TERM');
				} catch {
					// not every server honours signal requests; closing the channel hangs up a pty session
				}
				channel.close();
			};
			const onAbort = () => {
				stop();
				finish(abortedError(text));
			};
			options.signal?.addEventListener('abort', onAbort, {once: true});
			if (timeoutMs > 0) {
				timer = setTimeout(() => {
					stop();
					finish(new OpsError('timeout', `The host did not finish \`${shorten(scrubber.scrub(text))}\` within ${Math.round(timeoutMs / 1000)} s; it was stopped.`, {
						hint: 'Check the host\'s load, or raise timeouts.commandMs.',
					}));
				}, timeoutMs);
			}
			const execOptions = options.pty ? {pty: {term: 'dumb', rows: 24, cols: 200}} : {};
			client.exec(text, execOptions, (error, stream) => {
				if (error) {
					finish(new NotStartedError(`Could not start a command on ${this.label}: ${error.message}. Nothing was run.`));
					return;
				}
				channel = stream;
				if (done) {
					stop();
					return;
				}
				stream.setEncoding('utf8');
				stream.stderr.setEncoding('utf8');
				stream.on('data', (chunk: string) => {
					if (options.onStdout) options.onStdout(chunk);
					else stdout += chunk;
				});
				stream.stderr.on('data', (chunk: string) => {
					if (options.onStderr) options.onStderr(chunk);
					else stderr += chunk;
				});
				let code: number | null = null;
				let sig: string | undefined;
				stream.on('exit', (c: number | null, s?: string) => {
					code = c;
					sig = s;
				});
				stream.on('close', () => {
					if (done) return;
					if (code === null && sig === undefined && this.current !== 'connected') {
						finish(new OpsError('connection', `The connection to ${this.label} dropped while running \`${shorten(scrubber.scrub(text))}\`.`, {
							hint: 'The command may or may not have finished on the host; check its state before retrying.',
						}));
						return;
					}
					const result: ExecResult = {stdout, stderr, code, durationMs: Date.now() - started};
					if (sig) result.signal = sig;
					finish(undefined, result);
				});
				if (options.stdin !== undefined) stream.end(options.stdin);
				else if (!options.pty) stream.end();
			});
		});
	}

	async ping(signal?: AbortSignal): Promise<number> {
		const started = performance.now();
		await this.exec([':'], {signal, quiet: true, timeoutMs: 10_000});
		this.latencyMs = Math.round(performance.now() - started);
		return this.latencyMs;
	}

	async forwardOut(host: string, port: number, signal?: AbortSignal): Promise<Duplex> {
		const client = await this.getClient(signal);
		return new Promise<Duplex>((resolve, reject) => {
			client.forwardOut('127.0.0.1', 0, host, port, (error, stream) => {
				if (error) {
					reject(new OpsError('connection', `The host refused to forward to ${host}:${port} (${error.message}).`, {
						hint: 'Allow TCP forwarding in the host\'s sshd, or set postgres.via to "direct".',
					}));
					return;
				}
				resolve(stream);
			});
		});
	}

	async close(): Promise<void> {
		this.closing = true;
		const client = this.client;
		this.client = undefined;
		if (!client) {
			this.setState('closed');
			return;
		}
		await new Promise<void>(resolve => {
			const timer = setTimeout(resolve, 1000);
			client.once('close', () => {
				clearTimeout(timer);
				resolve();
			});
			client.end();
		});
		this.setState('closed');
	}
}

class NotStartedError extends OpsError {
	constructor(message: string) {
		super('connection', message, {hint: 'The connection may have dropped; try again.'});
	}
}

function shorten(text: string): string {
	return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function abortedError(text: string): OpsError {
	return new OpsError('aborted', `Cancelled \`${shorten(scrubber.scrub(text))}\`.`, {hint: 'The remote command was stopped.'});
}

async function withTimeout<T>(promise: Promise<T>, ms: number, signal: AbortSignal | undefined, onTimeout: () => Error): Promise<T> {
	let timer: NodeJS.Timeout | undefined;
	let onAbort: (() => void) | undefined;
	try {
		return await Promise.race([
			promise,
			new Promise<T>((_, reject) => {
				timer = setTimeout(() => reject(onTimeout()), ms);
				if (signal) {
					onAbort = () => reject(new OpsError('aborted', 'Cancelled while waiting for the connection.'));
					signal.addEventListener('abort', onAbort, {once: true});
				}
			}),
		]);
	} finally {
		if (timer) clearTimeout(timer);
		if (onAbort) signal?.removeEventListener('abort', onAbort);
	}
}
