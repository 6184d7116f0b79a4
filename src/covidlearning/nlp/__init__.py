"""Shared language tools: embeddings, fine-tuning, tokenising, sentiment, row order, names.

Owns the bundled MiniLM model and its embedding cache (:mod:`.embed`), contrastive
fine-tuning of it (:mod:`.finetune`), the topic tokenizer and keyword labels
(:mod:`.text`), the sticky hidden Markov model that reads rows in order
(:mod:`.context`), the sentiment of feedback (:mod:`.sentiment`) and the shipped name
lists (:mod:`.names`). Used by the themes, coding and privacy stages; imports no stage.
"""
