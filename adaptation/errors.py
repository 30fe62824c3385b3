"""Errors ``adaptation`` raises for bad input a user can fix.

AdaptationError            (the CLI prints these in one line and exits 1)
├── ConfigError            a population or training YAML: FILE:LINE:COL per problem (adaptation.config)
└── PolicyError            a policy file missing, corrupt or made for another observation layout
"""


class AdaptationError(Exception):
    """Base of the errors a user can act on."""


class PolicyError(AdaptationError):
    pass
