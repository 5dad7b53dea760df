"""Streamed generate and chat (``POST /v1/generate/stream``, ``POST /v1/chat/stream``).

* ``model_stream.py``: the model's text as it is written (Bedrock ``ConverseStream``, SageMaker
  ``InvokeEndpointWithResponseStream`` for TGI / LMI), read on a thread so screening and reading overlap;
* ``windows.py``: output released in screened windows (sentence or N characters) with a held-back tail;
* ``events.py``: the Server-Sent Events wire format;
* ``service.py``: the streamed routes over the buffered :class:`~orchestrator.service.Service`;
* ``server.py``: the HTTP app the Lambda Web Adapter fronts in Lambda (and tests run on loopback).

Imported only by the streaming function and, lazily, by the buffered handler's streamed routes: the
buffered function's cold start does not load it.
"""
