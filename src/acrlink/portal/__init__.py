"""The portal face: a local web portal that looks and behaves like the Azure portal for what the seed does.

A client of ARM and nothing else: every page reads through ARM GETs and every action is an ARM request (or a
template deployment, as the real portal's create flows are) with a bearer token from the Entra ID face. It
depends on the ARM wire format and on pure domain functions, never on services or the store.
"""
