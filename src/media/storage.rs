//! Content-addressed blob storage.

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// The future a [`BlobStore`] method returns; boxed so the trait can be used as `dyn BlobStore`.
pub type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// Bytes stored under the SHA-256 of their content.
///
/// Because a key is derived from the content, `put` is idempotent and two instances writing the
/// same picture at once write the same bytes to the same key: nothing needs locking.
pub trait BlobStore: Send + Sync + 'static {
    /// Stores the bytes and returns their key, the lower-case hex SHA-256. Storing bytes that
    /// are already there succeeds without writing them again. A reader never sees part of a blob.
    fn put<'a>(&'a self, bytes: &'a [u8]) -> BoxFuture<'a, anyhow::Result<String>>;
    /// The blob, or `None` if nothing is stored under that key. A malformed key is an error.
    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, anyhow::Result<Option<Vec<u8>>>>;
    /// Removes the blob; removing one that is not there is not an error.
    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, anyhow::Result<()>>;
}

/// Lower-case hex SHA-256, the form keys take.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A key is exactly 64 lower-case hex digits. Anything else (`..`, `/`, an upper-case copy of a
/// real key) is refused before it can become part of a path.
pub fn validate_key(key: &str) -> anyhow::Result<()> {
    if key.len() == 64 && key.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f')) {
        Ok(())
    } else {
        anyhow::bail!(
            "not a blob key: {:?}",
            key.chars().take(80).collect::<String>()
        )
    }
}

/// The relative path of a blob, `ab/cd/abcd…`: two levels of 256 directories keep each
/// directory small enough to list even with millions of blobs. Object stores use the same
/// layout so a bucket can be filled by copying a disk store as it is.
pub fn blob_path(key: &str) -> anyhow::Result<String> {
    validate_key(key)?;
    Ok(format!("{}/{}/{key}", &key[0..2], &key[2..4]))
}

/// Blobs in a directory on the local disk.
#[derive(Clone, Debug)]
pub struct LocalDisk {
    root: PathBuf,
}

impl LocalDisk {
    /// The directory is created on the first `put`.
    pub fn new(root: impl Into<PathBuf>) -> LocalDisk {
        LocalDisk { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path(&self, key: &str) -> anyhow::Result<PathBuf> {
        Ok(self.root.join(blob_path(key)?))
    }

    async fn put_inner(&self, bytes: &[u8]) -> anyhow::Result<String> {
        let key = sha256_hex(bytes);
        let path = self.path(&key)?;
        if tokio::fs::try_exists(&path).await? {
            return Ok(key);
        }
        let dir = path.parent().expect("blob paths have a directory");
        // Images are private to Loa's user (0700 folders, 0600 files), whatever the umask.
        let mut builder = tokio::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        builder.mode(0o700);
        builder.create(dir).await?;
        // The temporary name is unique per write so two concurrent puts of one blob do not
        // write into the same file; it sits in the final directory so the rename stays on
        // one file system and is therefore atomic.
        let tmp = dir.join(format!(".{key}.{}.tmp", uuid::Uuid::new_v4().simple()));
        let written = async {
            let mut options = tokio::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            options.mode(0o600);
            let mut file = options.open(&tmp).await?;
            tokio::io::AsyncWriteExt::write_all(&mut file, bytes).await?;
            // Without this a power cut after the rename can leave the final name pointing at
            // an empty file on some file systems.
            file.sync_all().await?;
            drop(file);
            tokio::fs::rename(&tmp, &path).await
        }
        .await;
        if let Err(e) = written {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(anyhow::Error::new(e).context(format!("cannot store blob {key}")));
        }
        Ok(key)
    }

    async fn get_inner(&self, key: &str) -> anyhow::Result<Option<Vec<u8>>> {
        let path = self.path(key)?;
        match tokio::fs::read(&path).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(anyhow::Error::new(e).context(format!("cannot read blob {key}"))),
        }
    }

    async fn delete_inner(&self, key: &str) -> anyhow::Result<()> {
        let path = self.path(key)?;
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(anyhow::Error::new(e).context(format!("cannot delete blob {key}"))),
        }
    }
}

impl BlobStore for LocalDisk {
    fn put<'a>(&'a self, bytes: &'a [u8]) -> BoxFuture<'a, anyhow::Result<String>> {
        Box::pin(self.put_inner(bytes))
    }

    fn get<'a>(&'a self, key: &'a str) -> BoxFuture<'a, anyhow::Result<Option<Vec<u8>>>> {
        Box::pin(self.get_inner(key))
    }

    fn delete<'a>(&'a self, key: &'a str) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(self.delete_inner(key))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files_under(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                out.extend(files_under(&path));
            } else {
                out.push(path);
            }
        }
        out
    }

    #[tokio::test]
    async fn put_is_content_addressed_and_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let store: Box<dyn BlobStore> = Box::new(LocalDisk::new(dir.path()));
        let key = store.put(b"hello").await.unwrap();
        assert_eq!(key, sha256_hex(b"hello"));
        assert_eq!(store.put(b"hello").await.unwrap(), key);

        let files = files_under(dir.path());
        let expected = dir.path().join(&key[0..2]).join(&key[2..4]).join(&key);
        assert_eq!(files, vec![expected], "one file, no temporary left behind");
        assert_eq!(
            store.get(&key).await.unwrap().as_deref(),
            Some(&b"hello"[..])
        );
    }

    #[tokio::test]
    async fn missing_blobs_are_none_and_deleting_them_is_fine() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalDisk::new(dir.path());
        let absent = sha256_hex(b"never stored");
        assert_eq!(store.get(&absent).await.unwrap(), None);
        store.delete(&absent).await.unwrap();

        let key = store.put(b"short-lived").await.unwrap();
        store.delete(&key).await.unwrap();
        assert_eq!(store.get(&key).await.unwrap(), None);
    }

    #[tokio::test]
    async fn keys_cannot_leave_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalDisk::new(dir.path().join("blobs"));
        let upper = sha256_hex(b"x").to_uppercase();
        for key in [
            "../etc/passwd",
            "",
            "ab/../../cd",
            &upper,
            &format!("{}0", sha256_hex(b"x")),
        ] {
            assert!(store.get(key).await.is_err(), "{key:?} accepted by get");
            assert!(
                store.delete(key).await.is_err(),
                "{key:?} accepted by delete"
            );
        }
        let escaped = format!("../{}", &sha256_hex(b"x")[3..]);
        assert!(validate_key(&escaped).is_err());
    }
}
