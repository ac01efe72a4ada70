"""wsdl2py: WSDL/XSD -> typed Python.

:mod:`gridware.codegen.runtime` is the small XML <-> Python binding layer that
generated code (and the container) rely on.
"""
