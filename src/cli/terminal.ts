/**
 * The terminal: colour for the words people scan for (states, pass and fail), and a line that says
 * a command is still working once it has taken more than a second. Only on a terminal: a pipe, a
 * file or a script gets plain text. `NO_COLOR` (any value, https://no-color.org) turns colour off;
 * `FORCE_COLOR` turns it on where there is no terminal (CI logs).
 */
export function colourWanted(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0') return true;
  return !!stream.isTTY && env.TERM !== 'dumb';
}

const SGR = { green: '32', yellow: '33', red: '31', dim: '2', bold: '1' } as const;
export type Tone = keyof typeof SGR;

export const tint = (on: boolean, tone: Tone, text: string): string => (on ? `\u001b[${SGR[tone]}m${text}\u001b[0m` : text);

/** Words by what they mean to the reader: good, needs a look, broken. */
const WORDS: readonly [RegExp, Tone][] = [
  [/(?<![\w-])(healthy|active|connected|delivered|passed|✔)(?![\w-])/g, 'green'],
  [/(?<![\w-])(degraded|silent|EXPIRING|expiring|never-connected|skipped)(?![\w-])/g, 'yellow'],
  [/(?<![\w-])(failing|failed|revoked|expired|disabled|✖)(?![\w-])/g, 'red'],
];

/** A line of human output with its state words coloured (when `on`). */
export function highlight(on: boolean, line: string): string {
  if (!on) return line;
  let out = line;
  for (const [words, tone] of WORDS) out = out.replace(words, (w) => tint(true, tone, w));
  return out;
}

/**
 * Shows that a slow step is still going: after a second, "label… 3 s" on stderr, rewritten in
 * place, and cleared when the step ends. Nothing at all off a terminal or for a fast step.
 */
export async function working<T>(label: string, step: () => Promise<T>, stream: NodeJS.WriteStream = process.stderr): Promise<T> {
  if (!stream.isTTY) return step();
  const started = Date.now();
  let shown = false;
  const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
  let i = 0;
  const timer = setInterval(() => {
    const s = (Date.now() - started) / 1000;
    if (s < 1) return;
    shown = true;
    stream.write(`\r${frames[i++ % frames.length]} ${label}… ${Math.floor(s)} s\u001b[K`);
  }, 125);
  timer.unref();
  try {
    return await step();
  } finally {
    clearInterval(timer);
    if (shown) stream.write('\r\u001b[K');
  }
}
