from cdk.components.bedrock_inference_profiles.construct import ApplicationInferenceProfiles, profile_name

__all__ = ["ApplicationInferenceProfiles", "profile_name"]
