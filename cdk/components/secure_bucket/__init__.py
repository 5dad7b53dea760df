from cdk.components.secure_bucket.construct import AccessLogsBucket, SecureBucket

__all__ = ["AccessLogsBucket", "SecureBucket"]
