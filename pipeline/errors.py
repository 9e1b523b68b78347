"""The few exceptions that stop a run. Bad data never raises: it becomes a finding."""


class PipelineError(Exception):
    """A run cannot go on; the message names the value at fault and the way out."""


class PlanError(PipelineError):
    """The plan folder is missing, malformed or disagrees with itself."""


class UsageError(PipelineError):
    """The command line asked for something that does not exist."""


class BusyError(PipelineError):
    """Another run holds the ledger."""
