// Generated prose of a given size: a seeded word salad of agent rules that stands in for an agent's
// instructions in requests shaped like the agents' own (never their copied text). The same every run.

const SUBJECTS = [
  'the agent',
  'every command',
  'a patch',
  'the workspace',
  'each test run',
  'the final answer',
  'a tool call',
  'the sandbox',
  'a plan',
  'the user request',
  'the shell session',
  'a review',
];
const VERBS = [
  'must describe',
  'should prefer',
  'never hides',
  'keeps',
  'records',
  'checks',
  'explains',
  'limits',
  'reports',
  'follows',
  'avoids',
  'summarizes',
];
const OBJECTS = [
  'the smallest change that works',
  'files outside the project',
  'the reason for each edit',
  'commands that modify history',
  'clear and short messages',
  'tests close to the code',
  'the output it relied on',
  'secrets and keys',
  'the steps it skipped',
  'errors with their context',
  'the current directory',
  'one task at a time',
];
const TAILS = [
  'before it continues.',
  'when it is unsure.',
  'unless the user asks otherwise.',
  'and says so plainly.',
  'in the final message.',
  'after every tool call.',
  'without guessing.',
  'so the user can repeat it.',
];

/** Deterministic PRNG (mulberry32) so the prompt is the same on every run and cacheable by the server. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const cache = new Map<number, string>();

/** About `chars` characters of rule-like prose (≈ chars/4 tokens), in numbered sections. */
export function generatedInstructions(chars: number, seed = 6): string {
  const key = chars * 1000 + seed;
  const hit = cache.get(key);
  if (hit) return hit;
  const r = rng(seed);
  const pick = <T>(a: readonly T[]) => a[Math.floor(r() * a.length)];
  const parts: string[] = ["You are a coding agent working in a terminal on the user's machine. Follow these house rules.\n"];
  let len = parts[0].length;
  let section = 1;
  while (len < chars) {
    const head = `\n## Rule group ${section++}\n`;
    parts.push(head);
    len += head.length;
    for (let i = 0; i < 8 && len < chars; i++) {
      const subject = pick(SUBJECTS);
      const s = `- ${subject.charAt(0).toUpperCase()}${subject.slice(1)} ${pick(VERBS)} ${pick(OBJECTS)} ${pick(TAILS)}\n`;
      parts.push(s);
      len += s.length;
    }
  }
  const text = parts.join('');
  cache.set(key, text);
  return text;
}
