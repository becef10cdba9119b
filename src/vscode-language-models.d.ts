// VS Code's Language Model Chat Provider API (final since VS Code 1.104), declared for the names this
// extension uses. The code type-checks against @types/vscode 1.80, the `engines.vscode` minimum
// (vsce refuses @types/vscode newer than engines), and the chat feature checks at run time that the
// host has `vscode.lm.registerLanguageModelChatProvider` before it touches any of these. Names and
// shapes follow the host's own vscode.d.ts (1.104+; the real host here is 1.139).
import 'vscode';

declare module 'vscode' {
  export enum LanguageModelChatMessageRole {
    User = 1,
    Assistant = 2,
  }

  export enum LanguageModelChatToolMode {
    Auto = 1,
    Required = 2,
  }

  export class LanguageModelTextPart {
    value: string;
    constructor(value: string);
  }

  export class LanguageModelToolCallPart {
    callId: string;
    name: string;
    input: object;
    constructor(callId: string, name: string, input: object);
  }

  export class LanguageModelToolResultPart {
    callId: string;
    content: unknown[];
    constructor(callId: string, content: unknown[]);
  }

  export class LanguageModelDataPart {
    mimeType: string;
    data: Uint8Array;
    constructor(data: Uint8Array, mimeType: string);
  }

  export type LanguageModelInputPart =
    LanguageModelTextPart | LanguageModelToolResultPart | LanguageModelToolCallPart | LanguageModelDataPart;
  export type LanguageModelResponsePart =
    LanguageModelTextPart | LanguageModelToolResultPart | LanguageModelToolCallPart | LanguageModelDataPart;

  export class LanguageModelChatMessage {
    static User(
      content: string | Array<LanguageModelTextPart | LanguageModelToolResultPart | LanguageModelDataPart>,
      name?: string,
    ): LanguageModelChatMessage;
    static Assistant(
      content: string | Array<LanguageModelTextPart | LanguageModelToolCallPart | LanguageModelDataPart>,
      name?: string,
    ): LanguageModelChatMessage;
    role: LanguageModelChatMessageRole;
    content: LanguageModelInputPart[];
    name: string | undefined;
  }

  export class LanguageModelError extends Error {
    static NoPermissions(message?: string): LanguageModelError;
    static Blocked(message?: string): LanguageModelError;
    static NotFound(message?: string): LanguageModelError;
    readonly code: string;
  }

  export interface LanguageModelChatTool {
    name: string;
    description: string;
    inputSchema?: object | undefined;
  }

  export interface LanguageModelChatCapabilities {
    readonly imageInput?: boolean;
    readonly toolCalling?: boolean | number;
  }

  export interface LanguageModelChatInformation {
    readonly id: string;
    readonly name: string;
    readonly family: string;
    readonly tooltip?: string;
    readonly detail?: string;
    readonly version: string;
    readonly maxInputTokens: number;
    readonly maxOutputTokens: number;
    readonly capabilities: LanguageModelChatCapabilities;
  }

  export interface LanguageModelChatRequestMessage {
    readonly role: LanguageModelChatMessageRole;
    readonly content: ReadonlyArray<LanguageModelInputPart | unknown>;
    readonly name: string | undefined;
  }

  export interface ProvideLanguageModelChatResponseOptions {
    readonly modelOptions?: { readonly [name: string]: unknown };
    readonly tools?: readonly LanguageModelChatTool[];
    readonly toolMode: LanguageModelChatToolMode;
  }

  export interface PrepareLanguageModelChatModelOptions {
    readonly silent: boolean;
  }

  export interface LanguageModelChatProvider<T extends LanguageModelChatInformation = LanguageModelChatInformation> {
    readonly onDidChangeLanguageModelChatInformation?: Event<void>;
    provideLanguageModelChatInformation(options: PrepareLanguageModelChatModelOptions, token: CancellationToken): ProviderResult<T[]>;
    provideLanguageModelChatResponse(
      model: T,
      messages: readonly LanguageModelChatRequestMessage[],
      options: ProvideLanguageModelChatResponseOptions,
      progress: Progress<LanguageModelResponsePart>,
      token: CancellationToken,
    ): Thenable<void>;
    provideTokenCount(model: T, text: string | LanguageModelChatRequestMessage, token: CancellationToken): Thenable<number>;
  }

  export interface LanguageModelChatSelector {
    vendor?: string;
    family?: string;
    version?: string;
    id?: string;
  }

  export interface LanguageModelChatRequestOptions {
    justification?: string;
    modelOptions?: { [name: string]: unknown };
    tools?: LanguageModelChatTool[];
    toolMode?: LanguageModelChatToolMode;
  }

  export interface LanguageModelChatResponse {
    stream: AsyncIterable<LanguageModelTextPart | LanguageModelToolCallPart | LanguageModelDataPart | unknown>;
    text: AsyncIterable<string>;
  }

  export interface LanguageModelChat {
    readonly name: string;
    readonly id: string;
    readonly vendor: string;
    readonly family: string;
    readonly version: string;
    readonly maxInputTokens: number;
    sendRequest(
      messages: LanguageModelChatMessage[],
      options?: LanguageModelChatRequestOptions,
      token?: CancellationToken,
    ): Thenable<LanguageModelChatResponse>;
    countTokens(text: string | LanguageModelChatMessage, token?: CancellationToken): Thenable<number>;
  }

  export namespace lm {
    export const onDidChangeChatModels: Event<void>;
    export function selectChatModels(selector?: LanguageModelChatSelector): Thenable<LanguageModelChat[]>;
    export function registerLanguageModelChatProvider(vendor: string, provider: LanguageModelChatProvider): Disposable;
  }
}
