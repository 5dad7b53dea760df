// Test entry (tests/unit/playground/test_iam_auth.py): the API client and mode "iam" bundled together.
export { Api } from "../../../playground/src/api";
export { iamAuth } from "../../../playground/src/auth/iam";
