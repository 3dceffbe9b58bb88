"""Small random-weight Hugging Face folders (``save_pretrained`` + a ``tokenizer.json`` built with the
``tokenizers`` library) of every family ``attnlab.pretrained.load`` reads, for the loader and inspect tests."""

from __future__ import annotations

from pathlib import Path

import torch

# the text the byte-level BPE vocabularies are learnt from (a few merges, the 256 bytes always there)
CORPUS = ["The cat sat on the mat.", "I hate this movie.", "Attention lets every token look at every other token.",
          "The animal did not cross the street because it was too tired."] * 4
WORDS = ["the", "cat", "sat", "on", "mat", "i", "hate", "this", "movie", "attention", "token", "every", "look",
         "at", "other", ".", ",", "##s", "##ing", "a", "street"]


def wordpiece_tokenizer(path: Path) -> int:
    """BERT's kind of ``tokenizer.json`` (lower-cased WordPiece, ``[CLS] … [SEP]``) at ``path``; its size."""
    from tokenizers.implementations import BertWordPieceTokenizer

    specials = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tok = BertWordPieceTokenizer({t: i for i, t in enumerate(specials + WORDS)}, lowercase=True)
    tok.add_special_tokens(specials)
    tok.save(str(path))
    return tok.get_vocab_size()


def byte_bpe_tokenizer(path: Path, family: str) -> int:
    """A byte-level BPE ``tokenizer.json`` at ``path`` with ``family``'s special tokens; its size.

    ``roberta``: ``<s> … </s>`` (ids 0 and 2, ``<pad>`` 1); ``gpt2``: ``<|endoftext|>``, nothing added to a
    text; ``llama``: ``<s>`` added first.
    """
    from tokenizers import ByteLevelBPETokenizer
    from tokenizers.processors import RobertaProcessing, TemplateProcessing

    specials = {"roberta": ["<s>", "<pad>", "</s>", "<unk>", "<mask>"], "gpt2": ["<|endoftext|>"],
                "llama": ["<s>", "</s>"]}[family]
    tok = ByteLevelBPETokenizer()
    tok.train_from_iterator(CORPUS, vocab_size=300, min_frequency=2, special_tokens=specials, show_progress=False)
    if family == "roberta":
        tok.post_processor = RobertaProcessing(("</s>", 2), ("<s>", 0))
    elif family == "llama":
        tok.post_processor = TemplateProcessing(single="<s> $A", special_tokens=[("<s>", 0)])
    tok.save(str(path))
    return tok.get_vocab_size()


def perturb_norms(model: torch.nn.Module) -> None:
    """Make every norm's weights non-trivial, so a mix-up of norms would show."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name.lower() or "ln_" in name:
                p.add_(0.1 * torch.randn_like(p))


def save_model(folder: Path, model_class, config, seed: int = 0) -> torch.nn.Module:
    """A random-weight ``model_class(config)`` saved into ``folder`` (norms perturbed), in eval mode."""
    torch.manual_seed(seed)
    hf = model_class(config).eval()
    perturb_norms(hf)
    hf.save_pretrained(folder)
    return hf


def family_folder(folder: Path, family: str, task: str | None = None) -> torch.nn.Module:
    """A tiny random-weight ``family`` model (bert, roberta, distilbert, gpt2, llama) with its tokenizer in
    ``folder``; returns the Hugging Face model (eager attention, so it can return its attention maps).

    ``task``: a ``transformers`` class name to save instead of the family's bare model (an encoder's
    ``…ForMaskedLM`` keeps its weights under ``roberta.`` / ``distilbert.``).
    """
    import transformers

    def save(default: str, config) -> torch.nn.Module:
        return save_model(folder, getattr(transformers, task or default), config)

    folder.mkdir(parents=True, exist_ok=True)
    tok_path = folder / "tokenizer.json"
    V = wordpiece_tokenizer(tok_path) if family in ("bert", "distilbert") else byte_bpe_tokenizer(tok_path, family)
    eager = {"attn_implementation": "eager"}
    if family == "bert":
        config = transformers.BertConfig(vocab_size=V, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                                         intermediate_size=64, max_position_embeddings=40, **eager)
        return save("BertModel", config)
    if family == "roberta":
        config = transformers.RobertaConfig(vocab_size=V, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                                            intermediate_size=64, max_position_embeddings=42, type_vocab_size=1,
                                            pad_token_id=1, bos_token_id=0, eos_token_id=2, **eager)
        return save("RobertaModel", config)
    if family == "distilbert":
        config = transformers.DistilBertConfig(vocab_size=V, dim=32, n_layers=2, n_heads=4, hidden_dim=64,
                                               max_position_embeddings=40, pad_token_id=0, **eager)
        return save("DistilBertModel", config)
    if family == "gpt2":
        config = transformers.GPT2Config(vocab_size=V, n_positions=40, n_embd=32, n_layer=2, n_head=4,
                                         bos_token_id=None, eos_token_id=None, **eager)
        return save("GPT2LMHeadModel", config)
    if family == "llama":
        config = transformers.LlamaConfig(vocab_size=V, hidden_size=32, intermediate_size=48, num_hidden_layers=2,
                                          num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=40,
                                          bos_token_id=None, eos_token_id=None, pad_token_id=None, **eager)
        return save("LlamaForCausalLM", config)
    raise ValueError(f"family: expected bert, roberta, distilbert, gpt2 or llama, got {family!r}")
