"""SageMaker training job that fine-tunes a causal LM on AWS Trainium (see ``train.py``).

``args``, ``dataset`` and ``distributed`` are pure Python (no torch, no Neuron SDK); ``train.main()`` imports the
Neuron stack lazily.
"""
