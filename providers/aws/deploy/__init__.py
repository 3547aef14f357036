"""Deploying the AWS stack: boto3 clients, the deploy lock, the planner and the executor."""
