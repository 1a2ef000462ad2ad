"""ARM templates: the JSONC reader, the expression language, its functions, and the template model.

Pure: nothing here touches the store or a face. What a function needs from the deployment (parameters,
variables, ``reference()``, the scope's ids) it asks of a ``Scope`` (``scope.py``).
"""
