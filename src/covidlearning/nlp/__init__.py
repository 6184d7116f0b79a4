"""Shared language tools: embeddings, fine-tuning, tokenising and row-order context.

Owns the bundled MiniLM model and its embedding cache (:mod:`.embed`), contrastive
fine-tuning of it (:mod:`.finetune`), the topic tokenizer and keyword labels
(:mod:`.text`) and the sticky hidden Markov model that reads rows in order
(:mod:`.context`). Used by the themes and coding stages; imports no stage.
"""
