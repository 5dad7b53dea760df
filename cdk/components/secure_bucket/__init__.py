from cdk.components.secure_bucket.construct import AccessLogsBucket, SecureBucket, tidy_auto_delete_provider

__all__ = ["AccessLogsBucket", "SecureBucket", "tidy_auto_delete_provider"]
