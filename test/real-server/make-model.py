#!/usr/bin/env python3
"""Make a tiny random-weights GGUF (qwen2 architecture, Qwen2 BPE vocab) that a real llama-server
loads and serves. Needs only numpy + llama.cpp's gguf-py (taken from the source tree that
build-llama-server.sh unpacks into the cache; no PyPI).

Adapted from the lab recipe `real-llama-server-recipe/make-model.py` (lead's reference notes on a
real llama-server); make-models.sh drives it for the test suites.

    python3 make-model.py --llama-src CACHE/src/llama.cpp --out CACHE/models/tiny-chat.gguf --behavior chat
    python3 make-model.py ... --out CACHE/models/tiny-strict.gguf --behavior chat --template strict

Templates (taken verbatim from the llama.cpp tree, models/templates/):
  qwen25  Qwen-Qwen2.5-7B-Instruct.jinja  (Hermes-style <tool_call>{json}</tool_call>, tolerant:
          a system/developer message after the first one is rendered as-is)
  strict  Qwen3.5-4B.jinja  (raises "System message must be at the beginning." when a system
          message is not first; XML <function=...> tool calls; <think> in the generation prompt)
  FILE    any .jinja file

Behaviors (what the random network is biased to do; all weights are still random):
  random  pure random weights; never chooses end-of-turn on purpose (runs to n_predict / n_ctx)
  chat    short garbage text: <|im_end|> gets an output bias so replies end after ~a few dozen tokens
          (--eos-bias -100: ASCII text that never ends, for "the server is busy generating" cases)
  tools   right after the generation prompt the model writes <tool_call> then "\n\n", so
          llama-server's lazy tool-call grammar (trigger "<tool_call>\n", Qwen2.5 template) takes over
          and forces a schema-valid call to one of the request's tools (random arguments); quote
          tokens are biased so JSON strings end, </tool_call> is followed by end-of-turn. Layer 0's
          attention spots "_response" (from a <tool_response> block) in the prompt: after a tool
          result the model answers "Done..." instead of calling again. Without a tool format (e.g.
          --chat-template chatml) the reply is the bare text "<tool_call>\n\n".
chat/tools never sample byte fragments (invalid UTF-8), [PAD] or control tokens, and only ASCII
tokens by default; 'random' samples anything (and so shows llama-server's invalid-UTF-8 500s).

The vocab is ggml-vocab-qwen2.gguf (151936 tokens) with the Qwen2.5 added tokens written into the
[PAD] slots 151646-151664 (<tool_call>=151657, </tool_call>=151658, ...), eos=<|im_end|>,
as in real Qwen2.5-Instruct GGUFs. token_embd and output are Q8_0 (~10 MB each at n_embd=64).
"""
import argparse
import os
import pickle
import re
import sys
import time

DEFAULT_SRC = os.environ.get("LLAMA_SRC", "")

QWEN25_ADDED = {
    151646: ("<|object_ref_start|>", 3), 151647: ("<|object_ref_end|>", 3),
    151648: ("<|box_start|>", 3), 151649: ("<|box_end|>", 3),
    151650: ("<|quad_start|>", 3), 151651: ("<|quad_end|>", 3),
    151652: ("<|vision_start|>", 3), 151653: ("<|vision_end|>", 3),
    151654: ("<|vision_pad|>", 3), 151655: ("<|image_pad|>", 3), 151656: ("<|video_pad|>", 3),
    151657: ("<tool_call>", 4), 151658: ("</tool_call>", 4),
    151659: ("<|fim_prefix|>", 4), 151660: ("<|fim_middle|>", 4), 151661: ("<|fim_suffix|>", 4),
    151662: ("<|fim_pad|>", 4), 151663: ("<|repo_name|>", 4), 151664: ("<|file_sep|>", 4),
}
TEMPLATES = {"qwen25": "Qwen-Qwen2.5-7B-Instruct.jinja", "strict": "Qwen3.5-4B.jinja"}


def byte_decoder() -> dict:
    """GPT-2 byte-level BPE: the printable character that stands for each byte, reversed."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("\xa1"), ord("\xac") + 1)) + list(range(ord("\xae"), ord("\xff") + 1))
    cs = bs[:]
    n = 0
    for c in range(256):
        if c not in bs:
            bs.append(c)
            cs.append(256 + n)
            n += 1
    return {chr(c): b for b, c in zip(bs, cs)}


def read_vocab(gguf, vocab_path: str, cache: str | None) -> tuple:
    """tokens, token types, merges, tokenizer model and pre-tokenizer of a vocab GGUF."""
    key = f"{os.path.abspath(vocab_path)}:{os.path.getsize(vocab_path)}:{os.path.getmtime(vocab_path)}"
    if cache and os.path.exists(cache):
        with open(cache, "rb") as f:
            cached = pickle.load(f)
        if cached[0] == key:
            return cached[1]
    r = gguf.GGUFReader(vocab_path)

    def field(name):
        return r.fields[name]

    tf = field("tokenizer.ggml.tokens")
    tokens = [bytes(tf.parts[i]) for i in tf.data]
    ttf = field("tokenizer.ggml.token_type")
    types = [int(ttf.parts[i][0]) for i in ttf.data]
    mf = field("tokenizer.ggml.merges")
    merges = [bytes(mf.parts[i]) for i in mf.data]
    tok_model = bytes(field("tokenizer.ggml.model").parts[-1]).decode()
    tok_pre = bytes(field("tokenizer.ggml.pre").parts[-1]).decode()
    vocab = (tokens, types, merges, tok_model, tok_pre)
    if cache:
        with open(cache + ".tmp", "wb") as f:
            pickle.dump((key, vocab), f)
        os.replace(cache + ".tmp", cache)
    return vocab


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--llama-src", default=DEFAULT_SRC, help="llama.cpp source tree (gguf-py, models/)")
    ap.add_argument("--vocab", default=None, help="vocab GGUF (default: <llama-src>/models/ggml-vocab-qwen2.gguf)")
    ap.add_argument("--vocab-cache", default=None,
                    help="pickle of the parsed vocab, written on first use (parsing the GGUF is most of the run time)")
    ap.add_argument("--template", default="qwen25", help="qwen25 | strict | path to .jinja")
    ap.add_argument("--behavior", default="chat", choices=["random", "chat", "tools"])
    ap.add_argument("--name", default=None)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--n-embd", type=int, default=64)
    ap.add_argument("--n-layer", type=int, default=2)
    ap.add_argument("--n-head", type=int, default=1)
    ap.add_argument("--n-head-kv", type=int, default=1)
    ap.add_argument("--n-ff", type=int, default=128)
    ap.add_argument("--ctx-train", type=int, default=32768)
    ap.add_argument("--logit-sigma", type=float, default=2.0, help="std of random logits")
    ap.add_argument("--eos-bias", type=float, default=8.0, help="output bias of <|im_end|> (chat/tools)")
    ap.add_argument("--tool-logit", type=float, default=20.0, help="logit of <tool_call> after the generation prompt (tools)")
    ap.add_argument("--quote-bias", type=float, default=7.0, help="output bias of quote-closing tokens (tools)")
    ap.add_argument("--avoid-tools", default="",
                    help="tools: comma-separated tool names the model never picks where the tool-call grammar lets it "
                         "choose one: tokens that begin them (alone or after '=', '\"', '>' or a space, as tool-call "
                         "formats write a name) get -20, so the request's other tools win (all but exec_command: "
                         "Codex runs a command instead of a random one of its tools)")
    ap.add_argument("--one-argument", action="store_true",
                    help="tools: a call carries only its first (required) argument: tokens with a comma and "
                         "'<parameter' are unlikely, so Codex does not refuse the call over a random "
                         "optional argument (a float where it wants an integer, a justification without permissions)")
    ap.add_argument("--prefer-tool", default="",
                    help="tools: the tool the model picks where the grammar lets it choose a name: right after "
                         "an opening quote, tokens that begin the name (not after a quote or space of their own) "
                         "are likely (+25), whatever tools the request carries")
    ap.add_argument("--string-value", default="",
                    help="tools: the text a free JSON string of a call starts with, then ends: right after an "
                         "opening quote its first token is likelier (+40) than --prefer-tool's, each next token "
                         "follows, then a quote that closes the object (e.g. a file name the test writes)")
    ap.add_argument("--xml-close", action="store_true",
                    help="tools: also end XML-style arguments (<parameter=x>value</parameter>, the Qwen3.5 "
                         "template's format) soon: '</' is likely, then 'parameter' and '>\\n' follow it")
    ap.add_argument("--start-tokens", default="198,397,1339",
                    help="token ids that end a generation prompt ('\\n', '>\\n', '>\\n\\n') -> 'start' context")
    ap.add_argument("--no-ascii-only", dest="ascii_only", action="store_false",
                    help="chat/tools: also sample non-ASCII tokens (default: ASCII-only text, readable captures)")
    ap.add_argument("--f16", action="store_true", help="store token_embd/output as F16 instead of Q8_0")
    a = ap.parse_args()

    sys.path.insert(0, os.path.join(a.llama_src, "gguf-py"))
    try:
        import numpy as np
        import gguf
    except ImportError as e:  # pragma: no cover
        print(f"import failed: {e} (need numpy: apt-get install python3-numpy; gguf-py from {a.llama_src})",
              file=sys.stderr)
        return 2

    t0 = time.time()
    vocab_path = a.vocab or os.path.join(a.llama_src, "models", "ggml-vocab-qwen2.gguf")
    tpl = a.template
    if tpl in TEMPLATES:
        tpl = os.path.join(a.llama_src, "models", "templates", TEMPLATES[tpl])
    with open(tpl, encoding="utf-8") as f:
        chat_template = f.read()

    tokens, types, merges, tok_model, tok_pre = read_vocab(gguf, vocab_path, a.vocab_cache)
    if len(tokens) == 151936 and tok_model == "gpt2":
        for i, (t, ty) in QWEN25_ADDED.items():
            tokens[i] = t.encode()
            types[i] = ty
    tid = {t: i for i, t in enumerate(tokens)}
    eos = tid.get(b"<|im_end|>")
    bos = tid.get(b"<|endoftext|>", eos)
    tool_call = tid.get(b"<tool_call>")
    V, d = len(tokens), a.n_embd
    head_dim = d // a.n_head
    n_kv = head_dim * a.n_head_kv

    rng = np.random.default_rng(a.seed)
    f32 = np.float32
    sq = np.sqrt(d)
    # Hidden state ~= embedding of the current token (layer weights are tiny), so the network is
    # close to a random bigram model. Three "context" directions, orthogonal to every other token's
    # embedding, give exact control where it matters:
    #   u: the token that ends a generation prompt ("\n" after <|im_start|>assistant, ...)
    #   v: <tool_call>      x: "\n\n" (what the tools model writes after <tool_call>)      w: </tool_call>
    #   m: a marker token that only a tool result puts in the prompt ("_response" of <tool_response>)
    #   z: written into the residual by layer 0's attention when a marker is in the context
    q, _ = np.linalg.qr(rng.standard_normal((d, 6)))
    u, v, w_, m_, z_, x_ = (q[:, i].astype(f32) for i in range(6))
    E = rng.standard_normal((V, d)).astype(f32)
    for x in (u, v, w_, m_, z_, x_):
        E -= np.outer(E @ x, x).astype(f32)
    starts = [int(x) for x in a.start_tokens.split(",") if x.strip()]
    for s in starts:
        E[s] = u * sq
    W = (rng.standard_normal((V, d)) * (a.logit_sigma / sq)).astype(f32)
    b = np.zeros(V, dtype=f32)
    layer0 = None
    if a.behavior in ("chat", "tools"):
        # end-of-turn: impossible right after the generation prompt (no empty replies), then a
        # constant logit eos_bias in every other context
        W[eos] = u * (-20.0 / sq)
        b[eos] = a.eos_bias
        # never sample tokens that are not whole UTF-8 text on their own (byte-level fragments):
        # llama-server answers 500 "The model produced output that does not match the expected
        # <format> format" when the output holds invalid UTF-8 (the 'random' model shows this),
        # nor [PAD] fillers or control tokens other than <|im_end|>; ASCII-only by default
        dec = byte_decoder()
        for i, t in enumerate(tokens):
            bad = (types[i] == 3 and i != eos) or t.startswith(b"[PAD")
            if not bad and types[i] == 1:
                try:
                    text = bytes(dec[c] for c in t.decode("utf-8")).decode("utf-8")
                    bad = a.ascii_only and not text.isascii()
                except (KeyError, UnicodeDecodeError):
                    bad = True
            if bad:
                b[i] = -100.0
    if a.behavior == "tools":
        if tool_call is None or tid.get(b"</tool_call>") is None:
            print("vocab has no <tool_call> token; --behavior tools needs the Qwen2 vocab", file=sys.stderr)
            return 2
        end_call = tid[b"</tool_call>"]
        nl2 = tid["ĊĊ".encode()]
        E[tool_call] = v * sq
        E[end_call] = w_ * sq
        E[nl2] = x_ * sq
        # after the generation prompt: <tool_call>
        W[tool_call] = u * (a.tool_logit / sq)
        # after <tool_call>: "\n\n" -- llama-server's lazy grammar triggers on "<tool_call>\n" (Qwen2.5
        # template); from there the grammar forces {"name": <one of the request's tools>, "arguments": ...}.
        # Where no grammar is active (e.g. --chat-template chatml: no tool format at all) "\n\n" is
        # followed by end-of-turn, so the reply is the bare text "<tool_call>\n\n" instead of a loop.
        W[nl2] = W[nl2] + v * (a.tool_logit / sq)
        W[eos] = W[eos] + x_ * (a.tool_logit / sq)
        # close the call with the </tool_call> token as soon as the grammar allows it, then end the
        # turn (one call per reply, mostly)
        b[end_call] = a.quote_bias
        W[eos] = W[eos] + w_ * (a.tool_logit / sq)
        # "a tool already answered": layer 0 attention from the start context looks for marker tokens;
        # when one is present it adds z, which favors a short text reply ("Done ...") over another call
        marker = tid.get(b"_response")
        done = tid.get(b"Done")
        if marker is not None and done is not None:
            E[marker] = m_ * sq
            W[done] = W[done] + z_ * (40.0 / sq)
            layer0 = {"q": (2.0, u), "k": (2.0, m_), "v_o": (1.0, m_, z_)}
        # tokens that close a JSON string (", ", "}, "}}, ...) so grammar-forced strings end soon
        quote_re = re.compile(r'\A ?"[,}\]]*\n?\Z')
        for i, t in enumerate(tokens):
            if types[i] != 1 or b[i] < 0:
                continue
            text = bytes(dec[c] for c in t.decode("utf-8")).decode("utf-8")
            if quote_re.match(text):
                b[i] = a.quote_bias
        if a.avoid_tools:
            # every token that can begin a name: its text, after at most two characters of the
            # punctuation formats put before a name ({"name": "x"}, <function=x>), is a prefix of it
            def name_starts(name):
                out = []
                for i, t in enumerate(tokens):
                    if types[i] != 1 or b[i] <= -100:
                        continue
                    text = bytes(dec[c] for c in t.decode("utf-8")).decode("utf-8")
                    core = text.lstrip('="> ')
                    if core and len(text) - len(core) <= 2 and name.startswith(core):
                        out.append(i)
                return out
            for name in filter(None, a.avoid_tools.split(",")):
                b[name_starts(name)] = -20.0
        if a.one_argument:
            # where the grammar has to write a comma or '<parameter' (the first argument) it still does
            for i, t in enumerate(tokens):
                if types[i] != 1 or b[i] <= -100:
                    continue
                text = bytes(dec[c] for c in t.decode("utf-8")).decode("utf-8")
                if "," in text or (text.startswith("<") and "<parameter=".startswith(text)):
                    b[i] = -10.0
        if a.xml_close:
            # In the XML format a parameter value is free text that only "\n</parameter>" ends, so no
            # grammar forces the end: the quote tokens that end in a newline ('"}\n', ...; likely
            # already) are followed by "</", "</" by "parameter" and "parameter" by ">\n"; from
            # "</parameter>\n" on the grammar leads to "</function>" and </tool_call>. The answer after a
            # tool result ("Done") ends right there, or the chain above would loop. Four more
            # directions, orthogonal to the six above and to every other embedding.
            close, param, gt_nl = tid["</".encode()], tid[b"parameter"], tid[">\u010a".encode()]
            nl_quotes = [i for i in range(V) if b[i] == a.quote_bias and tokens[i].endswith("\u010a".encode())]
            y = rng.standard_normal((d, 4))
            y -= q @ (q.T @ y)
            y, _ = np.linalg.qr(y)
            y1, y2, y3, y4 = (y[:, i].astype(f32) for i in range(4))
            for x in (y1, y2, y3, y4):
                E -= np.outer(E @ x, x).astype(f32)
            E[nl_quotes] = y3 * sq
            E[close] = y1 * sq
            E[param] = y2 * sq
            W[close] = W[close] + y3 * (a.tool_logit / sq)
            W[param] = W[param] + y1 * (a.tool_logit / sq)
            W[gt_nl] = W[gt_nl] + y2 * (a.tool_logit / sq)
            if done is not None:
                E[done] = y4 * sq
                W[eos] = W[eos] + y4 * (a.tool_logit / sq)

        if a.prefer_tool or a.string_value:
            # One more direction o: the embedding of every token that is only JSON punctuation and
            # white space ('"', '":', ' "', '{"', '\n\t', ...; the tokens above keep their own), so "between
            # the tokens of a call's JSON" is a context of its own. There an opening quote is likely
            # (+30), a token that begins the preferred tool's name more (+25 above what the grammar
            # allows there: only at a name) and the string's first token most (+60; an opening quote has the
            # quote bias too); each of the
            # string's tokens gets a direction of its own, so the chain o -> t1 -> t2 -> ... -> '"}'
            # holds in any context; a quote that closes the object is not in o, so a chain ends.
            # Where the grammar forbids a token (a name, a key, a closing quote) the next allowed wins.
            texts = ["" if types[i] != 1 or b[i] <= -100 else bytes(dec[c] for c in t.decode("utf-8")).decode("utf-8")
                     for i, t in enumerate(tokens)]
            own = {*starts, tool_call, end_call, nl2, marker, done}
            closers = [i for i, t in enumerate(texts) if t and quote_re.match(t) and t.rstrip().endswith("}")]
            punct = [i for i, t in enumerate(texts)
                     if t and set(t) <= set(' \t\n:{[,"') and i not in own and i not in closers]
            openers = [i for i in punct if texts[i].endswith('"') and '""' not in texts[i]]
            chain = []
            rest = a.string_value
            while rest:
                best = max((i for i, t in enumerate(texts) if t and rest.startswith(t)), key=lambda i: len(texts[i]), default=None)
                if best is None:
                    print(f"--string-value: no token for {rest!r}", file=sys.stderr)
                    return 2
                chain.append(best)
                rest = rest[len(texts[best]):]
            y = rng.standard_normal((d, 1 + len(chain)))
            y -= q @ (q.T @ y)
            y, _ = np.linalg.qr(y)
            o, cs = y[:, 0].astype(f32), [y[:, 1 + k].astype(f32) for k in range(len(chain))]
            for x in (o, *cs):
                E -= np.outer(E @ x, x).astype(f32)
            E[punct] = o * sq
            W[openers] = W[openers] + o * (30.0 / sq)
            if a.prefer_tool:
                first = [i for i, t in enumerate(texts) if t and a.prefer_tool.startswith(t)]
                W[first] = W[first] + o * (25.0 / sq)
            prev = o
            for k, t in enumerate(chain):
                W[t] = W[t] + prev * ((60.0 if k == 0 else 40.0) / sq)
                E[t] = cs[k] * sq
                prev = cs[k]
            if chain:
                ends = [i for i in closers if texts[i].startswith('"')]  # not ' "}': the string ends here
                W[ends] = W[ends] + prev * (a.tool_logit / sq)

    small = 0.02
    name = a.name or os.path.splitext(os.path.basename(a.out))[0]
    w = gguf.GGUFWriter(a.out, "qwen2")
    w.add_name(name)
    w.add_context_length(a.ctx_train)
    w.add_embedding_length(d)
    w.add_block_count(a.n_layer)
    w.add_feed_forward_length(a.n_ff)
    w.add_head_count(a.n_head)
    w.add_head_count_kv(a.n_head_kv)
    w.add_rope_freq_base(1000000.0)
    w.add_layer_norm_rms_eps(1e-6)
    w.add_file_type(gguf.LlamaFileType.MOSTLY_F16 if a.f16 else gguf.LlamaFileType.MOSTLY_Q8_0)
    w.add_tokenizer_model(tok_model)
    w.add_tokenizer_pre(tok_pre)
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(merges)
    w.add_bos_token_id(bos)
    w.add_eos_token_id(eos)
    w.add_pad_token_id(bos)
    w.add_add_bos_token(False)
    w.add_chat_template(chat_template)
    w.add_string("general.description", f"lmr lab: random weights, behavior={a.behavior}, seed={a.seed}")

    big = gguf.GGMLQuantizationType.F16 if a.f16 else gguf.GGMLQuantizationType.Q8_0

    def add_big(nm, arr):
        q = gguf.quants.quantize(arr, big)
        w.add_tensor(nm, q, raw_dtype=big)

    def rnd(*shape):
        return (rng.standard_normal(shape) * small).astype(f32)

    add_big("token_embd.weight", E)
    w.add_tensor("output_norm.weight", np.ones(d, dtype=f32))
    add_big("output.weight", W)
    w.add_tensor("output.bias", b)
    for i in range(a.n_layer):
        p = f"blk.{i}."
        wq, bq, wk, bk, wv, bv, wo = rnd(d, d), rnd(d), rnd(n_kv, d), rnd(n_kv), rnd(n_kv, d), rnd(n_kv), rnd(d, d)
        if i == 0 and layer0 and a.n_head == 1 and a.n_head_kv == 1:
            # query (start context) . key (marker) on the RoPE pair that turns slowest (NEOX pairs
            # (i, i + d/2); i = d/2 - 1), so the match holds across the whole context
            e = np.zeros(d, dtype=f32)
            e[d // 2 - 1] = 1.0
            e0 = np.zeros(d, dtype=f32)
            e0[0] = 1.0
            (aq, uq), (ak, mk), (av, mv, zv) = layer0["q"], layer0["k"], layer0["v_o"]
            wq, bq = np.outer(e, uq) * aq, np.zeros(d, dtype=f32)
            wk, bk = np.outer(e, mk) * ak, np.zeros(d, dtype=f32)
            wv, bv = np.outer(e0, mv) * av, np.zeros(d, dtype=f32)
            wo = np.outer(zv, e0)
        w.add_tensor(p + "attn_norm.weight", np.ones(d, dtype=f32))
        w.add_tensor(p + "attn_q.weight", wq.astype(f32))
        w.add_tensor(p + "attn_q.bias", bq.astype(f32))
        w.add_tensor(p + "attn_k.weight", wk.astype(f32))
        w.add_tensor(p + "attn_k.bias", bk.astype(f32))
        w.add_tensor(p + "attn_v.weight", wv.astype(f32))
        w.add_tensor(p + "attn_v.bias", bv.astype(f32))
        w.add_tensor(p + "attn_output.weight", wo.astype(f32))
        w.add_tensor(p + "ffn_norm.weight", np.ones(d, dtype=f32))
        w.add_tensor(p + "ffn_gate.weight", rnd(a.n_ff, d))
        w.add_tensor(p + "ffn_up.weight", rnd(a.n_ff, d))
        w.add_tensor(p + "ffn_down.weight", rnd(d, a.n_ff))

    os.makedirs(os.path.dirname(os.path.abspath(a.out)), exist_ok=True)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    dt = time.time() - t0
    print(f"wrote {a.out}: {os.path.getsize(a.out)} bytes, behavior={a.behavior}, "
          f"suppressed={int((b <= -100).sum())}, boosted={int(((b > 0) & (np.arange(V) != eos)).sum())}, "
          f"template={os.path.basename(tpl)}, vocab={V}, n_embd={d}, n_layer={a.n_layer}, {dt:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
