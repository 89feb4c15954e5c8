"""Where events go out: text/JSONL writers, JSONL export, credential redaction, time ordering."""
