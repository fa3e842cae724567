"""The one base of the errors a user can act on: a bad config, input file or argument, a
missing package, training that cannot go on. The CLI prints such an error as one line;
any other exception is a bug and prints its traceback."""


class CrystalganError(Exception):
    """An error the user can act on; the message names the file, key or value and what is wrong."""


class InputError(CrystalganError, ValueError):
    """An argument or input of a stage is wrong (an unknown name, inputs that do not belong together)."""
