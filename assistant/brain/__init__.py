"""Understanding: the template fast path, the LLM tool caller and conversation memory."""
