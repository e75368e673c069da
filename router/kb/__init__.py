"""Knowledge base of approved answers and grounded local drafting.

Import the submodules directly (``router.kb.retrieve``, ``router.kb.template``): this package
file stays empty so that importing one part never pulls in the encoder or the models.
"""
