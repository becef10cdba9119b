// How a fix changes the server that failed. For a server this window started, the change is a
// setting of that server's provider plus a restart; for any other, the exact flag or command for
// that kind of server, to copy — no setting is written, because no setting of ours starts it.
import { fullKey, type SettingKey, type Settings } from './settings/catalog';
import { SERVER_SPECS, type LaunchProvider } from './servers';
import { SERVER_KIND_INFO, type ServerKind } from './serverKind';
import type { ServerChange } from './verify/types';

export interface ChangeTarget {
  kind: ServerKind;
  /** Set when this window started the server: its provider's settings are what started it. */
  managedProvider?: LaunchProvider;
  settings: Settings;
  model: string;
  /** llama.cpp started elsewhere: a relaxed copy of its own template, written for --chat-template-file. */
  relaxedTemplateFile?: string;
}

export type ChangePlan =
  | { how: 'setting'; set: Partial<Record<SettingKey, string | number | boolean>>; label: string; detail: string }
  | { how: 'manual'; label: string; detail: string; copy?: string };

/** A context size with room to spare for a prompt of `needTokens` (a power of two, at least 32k). */
export function contextSizeFor(needTokens?: number): number {
  let value = 32_768;
  while (needTokens && value < needTokens * 2 && value < 1_048_576) value *= 2;
  return value;
}

const manual = (label: string, detail: string, copy?: string): ChangePlan => ({ how: 'manual', label, detail, ...(copy ? { copy } : {}) });

export function planServerChange(change: ServerChange, t: ChangeTarget): ChangePlan {
  const name = SERVER_KIND_INFO[t.kind].displayName;
  const p = t.managedProvider;
  switch (change.what) {
    case 'context': {
      const n = change.tokens;
      if (p) {
        const key = SERVER_SPECS[p].contextSetting;
        return {
          how: 'setting',
          set: { [key]: n },
          label: `Set the context to ${n} tokens and restart the server`,
          detail: `Sets localModelRouter.${key} to ${n} and restarts the ${name} server this window started.`,
        };
      }
      switch (t.kind) {
        case 'llamacpp': {
          const slots = 'llama-server splits the context between its slots: with --parallel N, give N times as much.';
          return manual('Copy the flag', `Restart llama-server with --ctx-size ${n}. ${slots}`, `--ctx-size ${n}`);
        }
        case 'ollama':
          return manual(
            'Copy the command',
            `Restart Ollama with OLLAMA_CONTEXT_LENGTH=${n} (or set num_ctx ${n} for the model in its Modelfile).`,
            `OLLAMA_CONTEXT_LENGTH=${n} ollama serve`,
          );
        case 'lmstudio':
          return manual(
            'Copy the command',
            `Load the model in LM Studio with a ${n}-token context (in the app's load settings, or with lms).`,
            `lms load ${t.model} --context-length ${n}`,
          );
        case 'vllm':
          return manual('Copy the flag', `Restart vLLM with --max-model-len ${n}.`, `--max-model-len ${n}`);
        case 'openai-compatible':
          return manual('How to change it', `Raise the server's context window to ${n} tokens in its own configuration.`);
      }
      break;
    }
    case 'template': {
      const why =
        change.reason === 'no-tool-support'
          ? 'a template with tool support'
          : 'a template that accepts system messages after the first one';
      if (t.kind === 'llamacpp') {
        if (p === 'llamacpp') {
          // An empty chatTemplate makes the launcher use the model's own template, with a strict
          // system-first check relaxed (core/launch/chatTemplate.ts): tools stay on.
          if (t.settings['llamacpp.chatTemplate'] !== '')
            return {
              how: 'setting',
              set: { 'llamacpp.chatTemplate': '' },
              label: "Use the model's own template and restart",
              detail: `Clears ${fullKey('llamacpp.chatTemplate')} ("${t.settings['llamacpp.chatTemplate']}"), so the server uses the model's own template — relaxed where it refuses a later system message — and restarts it.`,
            };
          return manual(
            'How to change it',
            `The model's own template is already in use and could not be relaxed automatically. Give llama-server ${why} with --chat-template-file (${fullKey('llamacpp.extraArgs')}).`,
          );
        }
        if (t.relaxedTemplateFile)
          return manual(
            'Copy the flag',
            `Restart llama-server with ${why}: a copy of its own template with the system-first check relaxed was written for it.`,
            `--chat-template-file ${t.relaxedTemplateFile}`,
          );
        return manual(
          'How to change it',
          `Restart llama-server with ${why} (--chat-template-file <file>), and without --chat-template chatml, which drops tool calls.`,
        );
      }
      if (t.kind === 'lmstudio')
        return manual(
          'How to change it',
          `In LM Studio, open the model's settings (My Models → the model → Prompt Template) and use ${why}; then reload the model.`,
        );
      if (t.kind === 'vllm') return manual('How to change it', `Restart vLLM with ${why}: --chat-template <file>.`, '--chat-template ');
      if (t.kind === 'ollama')
        return manual('How to change it', `Give the model ${why} in its Modelfile (TEMPLATE) and recreate it with ollama create.`);
      return manual('How to change it', `Configure the server with ${why}.`);
    }
    case 'jinja':
      if (p === 'llamacpp')
        return {
          how: 'setting',
          set: { 'llamacpp.jinja': true },
          label: 'Turn on --jinja and restart the server',
          detail: `Sets ${fullKey('llamacpp.jinja')} and restarts the llama-server this window started.`,
        };
      return manual('Copy the flag', 'Restart llama-server with --jinja (tool calls need the Jinja template engine).', '--jinja');
    case 'tool-parser':
      if (p === 'vllm')
        return {
          how: 'setting',
          set: { 'vllm.enableAutoToolChoice': true },
          label: 'Turn on tool calls and restart the server',
          detail: `Sets ${fullKey('vllm.enableAutoToolChoice')} (parser ${t.settings['vllm.toolCallParser']}) and restarts the vLLM server this window started.`,
        };
      return manual(
        'Copy the flags',
        "Restart vLLM with tool-call parsing on, with the parser of the model's family.",
        `--enable-auto-tool-choice --tool-call-parser ${t.settings['vllm.toolCallParser']}`,
      );
  }
  return manual('How to change it', "Change the server's configuration.");
}
