"""The agent that runs on AgentCore Runtime: a bounded Converse tool loop over the Gateway's tools, with
sessions in AgentCore Memory. Standard library + botocore only (see requirements.txt)."""
