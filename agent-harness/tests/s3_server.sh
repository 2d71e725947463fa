#!/bin/sh
# s3_server.sh start|stop DIR [SEED_DIR]
#
# Runs a real S3-compatible server on 127.0.0.1 for test_resource, with a
# bucket holding the files under SEED_DIR (keyed by their relative paths).
# It writes into DIR:
#
#   port, pid, log, kind (moto | s3rver), bucket, region,
#   access_key_id, secret_access_key          long-term credentials
#   session_access_key_id, session_secret_access_key, session_token
#                                             temporary ones (moto only)
#   strict                                    1 when the server checks
#                                             SigV4 signatures, else 0
#
# Server choice (AG_S3_SERVER=moto or s3rver forces one):
#   moto      moto's server mode (python3 -m moto.server), preinstalled on
#             this project's machines.  With authentication switched on it
#             recomputes every SigV4 signature with botocore and answers
#             SignatureDoesNotMatch, so the tests check our signer for real.
#   s3rver    npm's s3rver, installed on first use into AG_S3RVER_PREFIX
#             (default ~/.cache/capsim/s3rver).  It parses SigV4 headers and
#             checks the key id, but does not verify signatures.
set -eu

BUCKET=ag-test
REGION=us-east-1
S3RVER_VERSION=3.7.1

die() { echo "s3_server.sh: $*" >&2; exit 1; }

# Percent-encodes a key for a URL path, keeping '/'.
urlenc() {
    printf '%s' "$1" | od -An -v -tx1 | tr -s ' \n' '\n\n' | grep . |
    while read -r h; do
        case $h in
        2d|2e|2f|5f|7e|3[0-9]|4[1-9a-f]|5[0-9a]|6[1-9a-f]|7[0-9a])
            printf "\\$(printf %o 0x"$h")" ;;
        *) printf '%%%s' "$(echo "$h" | tr a-f A-F)" ;;
        esac
    done
}

# Waits up to 30 s for PATTERN in the log and prints the port it names.
wait_port() {
    i=0
    while [ $i -lt 300 ]; do
        p=$(sed -n "s/$1/\\1/p" "$DIR/log" | head -n 1)
        [ -n "$p" ] && { echo "$p"; return 0; }
        kill -0 "$(cat "$DIR/pid")" 2>/dev/null || break
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}

seed_objects() {
    url=$1
    curl -sf -X PUT "$url/$BUCKET" >/dev/null || die "cannot create bucket"
    [ -n "$SEED" ] || return 0
    (cd "$SEED" && find . -type f | sed 's|^\./||') | while IFS= read -r f; do
        curl -sf -X PUT -H 'Content-Type: application/octet-stream' \
            --data-binary "@$SEED/$f" "$url/$BUCKET/$(urlenc "$f")" \
            >/dev/null || die "cannot upload $f"
    done
}

# IAM and STS calls while moto still lets every request through; the
# Authorization header only tells moto which service is meant.
aws_call() {
    service=$1
    shift
    curl -sf -H "Authorization: AWS4-HMAC-SHA256 Credential=setup/20200101/$REGION/$service/aws4_request, SignedHeaders=host, Signature=0" \
        "$@" "$URL/"
}

xml_field() { sed -n "s/.*<$1>\\([^<]*\\)<\\/$1>.*/\\1/p" | head -n 1; }

start_moto() {
    python3 -m moto.server -H 127.0.0.1 -p 0 >"$DIR/log" 2>&1 &
    echo $! >"$DIR/pid"
    port=$(wait_port '.*Running on http:\/\/127\.0\.0\.1:\([0-9]*\).*') ||
        die "moto did not start; see $DIR/log"
    URL=http://127.0.0.1:$port
    seed_objects "$URL"
    policy='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}'
    trust='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}'
    aws_call iam -d 'Action=CreateUser&UserName=ag&Version=2010-05-08' >/dev/null
    aws_call iam -d 'Action=PutUserPolicy&UserName=ag&PolicyName=s3&Version=2010-05-08' \
        --data-urlencode "PolicyDocument=$policy" >/dev/null
    key=$(aws_call iam -d 'Action=CreateAccessKey&UserName=ag&Version=2010-05-08')
    echo "$key" | xml_field AccessKeyId >"$DIR/access_key_id"
    echo "$key" | xml_field SecretAccessKey >"$DIR/secret_access_key"
    aws_call iam -d 'Action=CreateRole&RoleName=ag&Version=2010-05-08' \
        --data-urlencode "AssumeRolePolicyDocument=$trust" >/dev/null
    aws_call iam -d 'Action=PutRolePolicy&RoleName=ag&PolicyName=s3&Version=2010-05-08' \
        --data-urlencode "PolicyDocument=$policy" >/dev/null
    tmp=$(aws_call sts -d 'Action=AssumeRole&RoleArn=arn:aws:iam::123456789012:role/ag&RoleSessionName=ag&Version=2011-06-15')
    echo "$tmp" | xml_field AccessKeyId >"$DIR/session_access_key_id"
    echo "$tmp" | xml_field SecretAccessKey >"$DIR/session_secret_access_key"
    echo "$tmp" | xml_field SessionToken >"$DIR/session_token"
    # From here on every request must carry a valid signature.
    curl -sf -X POST -H 'Content-Type: text/plain' --data-binary 0 \
        "$URL/moto-api/reset-auth" >/dev/null || die "cannot enable auth"
    echo moto >"$DIR/kind"
    echo 1 >"$DIR/strict"
    echo "$port" >"$DIR/port"
}

start_s3rver() {
    prefix=${AG_S3RVER_PREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/capsim/s3rver}
    bin=$prefix/node_modules/.bin/s3rver
    if [ ! -x "$bin" ]; then
        command -v npm >/dev/null || die "neither moto nor npm is available"
        mkdir -p "$prefix"
        npm install --prefix "$prefix" --no-audit --no-fund \
            "s3rver@$S3RVER_VERSION" >"$DIR/npm.log" 2>&1 ||
            die "npm install s3rver failed; see $DIR/npm.log"
    fi
    mkdir -p "$DIR/data"
    "$bin" -d "$DIR/data" -a 127.0.0.1 -p 0 --no-vhost-buckets \
        >"$DIR/log" 2>&1 &
    echo $! >"$DIR/pid"
    port=$(wait_port '.*listening on 127\.0\.0\.1:\([0-9]*\).*') ||
        die "s3rver did not start; see $DIR/log"
    seed_objects "http://127.0.0.1:$port"
    echo S3RVER >"$DIR/access_key_id"
    echo S3RVER >"$DIR/secret_access_key"
    echo s3rver >"$DIR/kind"
    echo 0 >"$DIR/strict"
    echo "$port" >"$DIR/port"
}

[ $# -ge 2 ] || die "usage: s3_server.sh start|stop DIR [SEED_DIR]"
CMD=$1
DIR=$2
SEED=${3:-}
case $CMD in
start)
    mkdir -p "$DIR"
    echo $BUCKET >"$DIR/bucket"
    echo $REGION >"$DIR/region"
    command -v curl >/dev/null || die "curl is needed to seed the bucket"
    want=${AG_S3_SERVER:-}
    if [ -z "$want" ]; then
        if python3 -c 'import moto.server' 2>/dev/null; then
            want=moto
        else
            want=s3rver
        fi
    fi
    case $want in
    moto) start_moto ;;
    s3rver) start_s3rver ;;
    *) die "AG_S3_SERVER must be moto or s3rver" ;;
    esac
    ;;
stop)
    if [ -f "$DIR/pid" ]; then
        pid=$(cat "$DIR/pid")
        kill "$pid" 2>/dev/null || true
        # moto shuts down gracefully on SIGTERM; give it a few seconds.
        i=0
        while kill -0 "$pid" 2>/dev/null && [ $i -lt 50 ]; do
            sleep 0.1
            i=$((i + 1))
        done
        kill -9 "$pid" 2>/dev/null || true
        rm -f "$DIR/pid"
    fi
    ;;
*)
    die "usage: s3_server.sh start|stop DIR [SEED_DIR]"
    ;;
esac
