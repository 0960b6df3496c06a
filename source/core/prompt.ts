import {createInterface} from 'node:readline/promises';
import type {HostKeyPrompt} from './transport/ssh.js';

/** Line prompts on the terminal, used before Ink takes the screen (host keys, passphrases, init). */
export function canPrompt(): boolean {
	return Boolean(process.stdin.isTTY && process.stderr.isTTY);
}

export async function ask(question: string): Promise<string> {
	const rl = createInterface({input: process.stdin, output: process.stderr, terminal: true});
	try {
		return (await rl.question(question)).trim();
	} finally {
		rl.close();
	}
}

export async function askSecret(question: string): Promise<string> {
	process.stderr.write(question);
	const stdin = process.stdin;
	return new Promise(resolve => {
		let value = '';
		const wasRaw = stdin.isRaw;
		stdin.setRawMode?.(true);
		stdin.resume();
		const onData = (data: Buffer) => {
			for (const char of data.toString('utf8')) {
				if (char === '\r' || char === '\n') {
					stdin.off('data', onData);
					stdin.setRawMode?.(wasRaw);
					stdin.pause();
					process.stderr.write('\n');
					resolve(value);
					return;
				}
				if (char === '\u0003') {
					stdin.setRawMode?.(wasRaw);
					process.exit(130);
				}
				if (char === '\u007F') value = value.slice(0, -1);
				else value += char;
			}
		};
		stdin.on('data', onData);
	});
}

export async function confirmHostKeyOnTerminal(prompt: HostKeyPrompt): Promise<boolean> {
	const where = prompt.port === 22 ? prompt.host : `[${prompt.host}]:${prompt.port}`;
	process.stderr.write(`The authenticity of host ${where} can't be established.\n`);
	process.stderr.write(`${prompt.keyType} key fingerprint is ${prompt.fingerprint}.\n`);
	const answer = await ask(`Trust this key and record it in ${prompt.knownHostsFile}? Type "yes" to trust: `);
	return answer === 'yes';
}
