"""Prepares a freshly started moto server (run with INITIAL_NO_AUTH_ACTION_COUNT=3) for the S3 tests.

moto checks nothing until it has answered that many requests; from then on every request must carry a
valid Signature V4 by a known IAM user's access key, exactly as AWS checks it (moto recomputes the
signature with botocore). The three unauthenticated calls below create that user, allow it everything
and give it an access key; the bucket is then created with the new key, already checked.

Prints shell `export` lines for the test variables on stdout.
"""

import json
import sys

import boto3

endpoint, bucket = sys.argv[1], sys.argv[2]
anonymous = dict(endpoint_url=endpoint, region_name="us-east-1",
                 aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap")

iam = boto3.client("iam", **anonymous)
iam.create_user(UserName="yard-tests")
iam.put_user_policy(UserName="yard-tests", PolicyName="everything", PolicyDocument=json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}))
key = iam.create_access_key(UserName="yard-tests")["AccessKey"]

s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                  aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
s3.create_bucket(Bucket=bucket)
try:
    boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=key["AccessKeyId"],
                 aws_secret_access_key="wrong").list_objects_v2(Bucket=bucket)
    sys.exit("moto accepted a wrong secret: authentication is not enforced")
except s3.exceptions.ClientError as error:
    assert error.response["Error"]["Code"] == "SignatureDoesNotMatch", error.response

print(f"export YARD_TEST_S3_ENDPOINT={endpoint}")
print(f"export YARD_TEST_S3_BUCKET={bucket}")
print(f"export YARD_TEST_S3_ACCESS_KEY_ID={key['AccessKeyId']}")
print(f"export YARD_TEST_S3_SECRET_ACCESS_KEY={key['SecretAccessKey']}")
