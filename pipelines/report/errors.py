"""One exception type for every document we cannot read, with a one-line reason a user understands."""


class ReportError(Exception):
    """A document that cannot be parsed. `code` is stable (used in the warehouse); str() is the reason."""

    def __init__(self, code: str, reason: str):
        super().__init__(reason)
        self.code = code
        self.reason = reason
