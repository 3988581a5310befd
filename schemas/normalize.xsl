<?xml version="1.0" encoding="UTF-8"?>
<!--
  hostdev-preflight: normalize the PCI host devices of a libvirt domain
  (SPEC section 6).

  Usable on its own:
    xsltproc [-\-stringparam libvirt-compat yes [-\-stringparam keep-driver-model yes]] normalize.xsl vm.xml
  (hostdev-preflight then writes the result in libvirt's own style, with
  single-quoted attributes and two-space indentation; xsltproc writes the same
  tree in libxml2's style.)

  - PCI host devices are <hostdev type='pci'> with no mode or
    mode='subsystem', and <interface type='hostdev'> with a
    <source><address type='pci'>, in every <devices> of the domain: the same
    ones the tool's C model reads (tests/data/pci-hostdev-kinds.tsv holds
    the vectors both pass).
  - <hostdev>: attributes mode type managed assigned, managed always written,
    then the others as written; children driver, source, teaming, boot,
    alias, rom, acpi, guest address, then anything else as written; both
    spellings of "not given to the guest" become assigned='no'.
  - PCI addresses of those devices are written domain='0x%04x' bus='0x%02x'
    slot='0x%02x' function='0x%x'; numbers are read as libvirt reads them
    (the vectors in tests/data/pci-numbers.tsv), and a field that is not a
    number or out of range stops the transform with a message. A guest
    address that libvirt picks (no field, or all zero) stays
    <address type='pci'/>.
  - libvirt-compat=yes: assigned='no' becomes <address type='unassigned'/>
    and assigned attributes go; <driver model='X'/> (libvirt >= 10.0) goes
    too, with a message naming the device, unless keep-driver-model=yes
    (hostdev-preflight sets it when the libvirt grammar in use accepts it).
  - Everything else is copied as it is.
-->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:output method="xml" encoding="UTF-8" indent="yes" omit-xml-declaration="yes"/>

  <xsl:param name="libvirt-compat" select="'no'"/>
  <xsl:param name="keep-driver-model" select="'no'"/>
  <xsl:variable name="compat" select="$libvirt-compat = 'yes' or $libvirt-compat = '1'"/>
  <xsl:variable name="keep-model" select="not($compat) or $keep-driver-model = 'yes' or $keep-driver-model = '1'"/>

  <xsl:template match="@*|node()">
    <xsl:copy>
      <xsl:apply-templates select="@*|node()"/>
    </xsl:copy>
  </xsl:template>

  <xsl:template match="/domain/devices/hostdev[(not(@mode) or @mode = 'subsystem') and @type = 'pci']">
    <xsl:variable name="unassigned" select="@assigned = 'no' or address/@type = 'unassigned'"/>
    <hostdev mode="subsystem" type="pci">
      <xsl:attribute name="managed">
        <xsl:choose>
          <xsl:when test="@managed = 'yes'">yes</xsl:when>
          <xsl:otherwise>no</xsl:otherwise>
        </xsl:choose>
      </xsl:attribute>
      <xsl:if test="$unassigned and not($compat)">
        <xsl:attribute name="assigned">no</xsl:attribute>
      </xsl:if>
      <xsl:apply-templates select="@*[not(name() = 'mode' or name() = 'type' or name() = 'managed' or name() = 'assigned')]"/>
      <xsl:apply-templates select="comment() | processing-instruction()"/>
      <xsl:apply-templates select="driver" mode="hostdev"/>
      <xsl:apply-templates select="source" mode="hostdev"/>
      <xsl:apply-templates select="teaming"/>
      <xsl:apply-templates select="boot"/>
      <xsl:apply-templates select="alias"/>
      <xsl:apply-templates select="rom"/>
      <xsl:apply-templates select="acpi"/>
      <xsl:choose>
        <xsl:when test="$unassigned and $compat">
          <address type="unassigned"/>
        </xsl:when>
        <xsl:when test="$unassigned"/>
        <xsl:otherwise>
          <xsl:apply-templates select="address" mode="guest"/>
        </xsl:otherwise>
      </xsl:choose>
      <xsl:apply-templates select="*[not(self::driver or self::source or self::teaming or self::boot or self::alias or self::rom or self::acpi or self::address)]"/>
    </hostdev>
  </xsl:template>

  <xsl:template match="driver" mode="hostdev">
    <xsl:variable name="drop-model" select="@model and not($keep-model)"/>
    <xsl:if test="$drop-model">
      <xsl:message terminate="no">
        <xsl:text>warning: &lt;hostdev&gt; </xsl:text>
        <xsl:for-each select="../source/address">
          <xsl:call-template name="bdf"/>
        </xsl:for-each>
        <xsl:text>: &lt;driver model='</xsl:text>
        <xsl:value-of select="@model"/>
        <xsl:text>'/&gt; dropped: libvirt 10.0 or newer is needed to choose its driver (without it, libvirt binds vfio-pci)</xsl:text>
      </xsl:message>
    </xsl:if>
    <!-- a <driver> left with nothing in it goes -->
    <xsl:if test="not($drop-model) or @*[name() != 'model'] or node()">
      <driver>
        <xsl:apply-templates select="@name"/>
        <xsl:if test="not($drop-model)">
          <xsl:apply-templates select="@model"/>
        </xsl:if>
        <xsl:apply-templates select="@*[not(name() = 'name' or name() = 'model')]"/>
        <xsl:apply-templates select="node()"/>
      </driver>
    </xsl:if>
  </xsl:template>

  <xsl:template match="source" mode="hostdev">
    <source>
      <xsl:apply-templates select="@*"/>
      <xsl:for-each select="address">
        <address>
          <xsl:call-template name="pci-fields"/>
          <xsl:apply-templates select="@*[not(name() = 'domain' or name() = 'bus' or name() = 'slot' or name() = 'function')]"/>
          <xsl:apply-templates select="node()"/>
        </address>
      </xsl:for-each>
      <xsl:apply-templates select="node()[not(self::address)]"/>
    </source>
  </xsl:template>

  <xsl:template match="address" mode="guest">
    <xsl:choose>
      <xsl:when test="@type = 'pci'">
        <xsl:variable name="picked">
          <xsl:call-template name="all-zero"/>
        </xsl:variable>
        <address type="pci">
          <!-- libvirt picks it: say so, not an explicit zero address -->
          <xsl:if test="$picked != 'yes'">
            <xsl:call-template name="pci-fields"/>
          </xsl:if>
          <xsl:apply-templates select="@multifunction"/>
          <xsl:apply-templates select="@*[not(name() = 'type' or name() = 'domain' or name() = 'bus' or name() = 'slot' or name() = 'function' or name() = 'multifunction')]"/>
          <xsl:apply-templates select="node()"/>
        </address>
      </xsl:when>
      <xsl:otherwise>
        <!-- another bus (ccw, spapr-vio, ...): as written -->
        <xsl:copy-of select="."/>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- <interface type='hostdev'>: its PCI addresses in the same form -->
  <xsl:template match="/domain/devices/interface[@type = 'hostdev']/source/address[@type = 'pci']">
    <address type="pci">
      <xsl:call-template name="pci-fields"/>
      <xsl:apply-templates select="@*[not(name() = 'type' or name() = 'domain' or name() = 'bus' or name() = 'slot' or name() = 'function')]"/>
      <xsl:apply-templates select="node()"/>
    </address>
  </xsl:template>

  <xsl:template match="/domain/devices/interface[@type = 'hostdev'][source/address/@type = 'pci']/address">
    <xsl:apply-templates select="." mode="guest"/>
  </xsl:template>

  <!-- ======== PCI address numbers ======== -->

  <!-- domain bus slot function of the context <address>, absent ones as 0 -->
  <xsl:template name="pci-fields">
    <xsl:attribute name="domain">
      <xsl:call-template name="field-hex">
        <xsl:with-param name="attr" select="@domain"/>
        <xsl:with-param name="name" select="'domain'"/>
        <xsl:with-param name="max" select="65535"/>
        <xsl:with-param name="width" select="4"/>
      </xsl:call-template>
    </xsl:attribute>
    <xsl:attribute name="bus">
      <xsl:call-template name="field-hex">
        <xsl:with-param name="attr" select="@bus"/>
        <xsl:with-param name="name" select="'bus'"/>
        <xsl:with-param name="max" select="255"/>
        <xsl:with-param name="width" select="2"/>
      </xsl:call-template>
    </xsl:attribute>
    <xsl:attribute name="slot">
      <xsl:call-template name="field-hex">
        <xsl:with-param name="attr" select="@slot"/>
        <xsl:with-param name="name" select="'slot'"/>
        <xsl:with-param name="max" select="31"/>
        <xsl:with-param name="width" select="2"/>
      </xsl:call-template>
    </xsl:attribute>
    <xsl:attribute name="function">
      <xsl:call-template name="field-hex">
        <xsl:with-param name="attr" select="@function"/>
        <xsl:with-param name="name" select="'function'"/>
        <xsl:with-param name="max" select="7"/>
        <xsl:with-param name="width" select="1"/>
      </xsl:call-template>
    </xsl:attribute>
  </xsl:template>

  <!-- 'yes' when every field of the context <address> is absent or zero
       (one that is not a number is not zero: pci-fields stops on it) -->
  <xsl:template name="all-zero">
    <xsl:variable name="nonzero">
      <xsl:for-each select="@domain | @bus | @slot | @function">
        <xsl:variable name="verdict">
          <xsl:call-template name="pci-number">
            <xsl:with-param name="s" select="string(.)"/>
            <xsl:with-param name="max" select="65535"/>
          </xsl:call-template>
        </xsl:variable>
        <xsl:if test="$verdict != 'ok 0'">x</xsl:if>
      </xsl:for-each>
    </xsl:variable>
    <xsl:if test="$nonzero = ''">yes</xsl:if>
  </xsl:template>

  <!-- "DDDD:BB:SS.F" of the context <address>, for messages -->
  <xsl:template name="bdf">
    <xsl:call-template name="hex">
      <xsl:with-param name="n">
        <xsl:call-template name="field-value">
          <xsl:with-param name="attr" select="@domain"/>
          <xsl:with-param name="name" select="'domain'"/>
          <xsl:with-param name="max" select="65535"/>
        </xsl:call-template>
      </xsl:with-param>
      <xsl:with-param name="width" select="4"/>
    </xsl:call-template>
    <xsl:text>:</xsl:text>
    <xsl:call-template name="hex">
      <xsl:with-param name="n">
        <xsl:call-template name="field-value">
          <xsl:with-param name="attr" select="@bus"/>
          <xsl:with-param name="name" select="'bus'"/>
          <xsl:with-param name="max" select="255"/>
        </xsl:call-template>
      </xsl:with-param>
      <xsl:with-param name="width" select="2"/>
    </xsl:call-template>
    <xsl:text>:</xsl:text>
    <xsl:call-template name="hex">
      <xsl:with-param name="n">
        <xsl:call-template name="field-value">
          <xsl:with-param name="attr" select="@slot"/>
          <xsl:with-param name="name" select="'slot'"/>
          <xsl:with-param name="max" select="31"/>
        </xsl:call-template>
      </xsl:with-param>
      <xsl:with-param name="width" select="2"/>
    </xsl:call-template>
    <xsl:text>.</xsl:text>
    <xsl:call-template name="hex">
      <xsl:with-param name="n">
        <xsl:call-template name="field-value">
          <xsl:with-param name="attr" select="@function"/>
          <xsl:with-param name="name" select="'function'"/>
          <xsl:with-param name="max" select="7"/>
        </xsl:call-template>
      </xsl:with-param>
      <xsl:with-param name="width" select="1"/>
    </xsl:call-template>
  </xsl:template>

  <!-- a field written as 0x and at least WIDTH lowercase hex digits -->
  <xsl:template name="field-hex">
    <xsl:param name="attr"/>
    <xsl:param name="name"/>
    <xsl:param name="max"/>
    <xsl:param name="width"/>
    <xsl:call-template name="hex">
      <xsl:with-param name="n">
        <xsl:call-template name="field-value">
          <xsl:with-param name="attr" select="$attr"/>
          <xsl:with-param name="name" select="$name"/>
          <xsl:with-param name="max" select="$max"/>
        </xsl:call-template>
      </xsl:with-param>
      <xsl:with-param name="width" select="$width"/>
    </xsl:call-template>
  </xsl:template>

  <!-- A field's value: 0 when the attribute is absent (as libvirt takes
       it); the transform stops when it is not a number or out of range. -->
  <xsl:template name="field-value">
    <xsl:param name="attr"/>
    <xsl:param name="name"/>
    <xsl:param name="max"/>
    <xsl:choose>
      <xsl:when test="not($attr)">0</xsl:when>
      <xsl:otherwise>
        <xsl:variable name="verdict">
          <xsl:call-template name="pci-number">
            <xsl:with-param name="s" select="string($attr)"/>
            <xsl:with-param name="max" select="$max"/>
          </xsl:call-template>
        </xsl:variable>
        <xsl:choose>
          <xsl:when test="$verdict = 'invalid'">
            <xsl:message terminate="yes">
              <xsl:value-of select="concat('error: ', $name, '=', &quot;'&quot;, $attr, &quot;'&quot;, ' of &lt;address&gt; is not a number; not normalized')"/>
            </xsl:message>
          </xsl:when>
          <xsl:when test="$verdict = 'out-of-range'">
            <xsl:message terminate="yes">
              <xsl:value-of select="concat('error: ', $name, '=', &quot;'&quot;, $attr, &quot;'&quot;, ' of &lt;address&gt; is out of range (a PCI ', $name, ' is at most ', $max, '); not normalized')"/>
            </xsl:message>
          </xsl:when>
          <xsl:otherwise>
            <xsl:value-of select="substring-after($verdict, ' ')"/>
          </xsl:otherwise>
        </xsl:choose>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!--
    A number as libvirt reads it (strtoul with base 0, what hp_number_parse
    does in C): decimal, 0x/0X hex, leading-zero octal; no sign, no white
    space, no trailing junk. Gives 'ok N', 'octal N' (a leading zero whose
    octal reading differs from the decimal one), 'invalid' or
    'out-of-range' (over MAX).
  -->
  <xsl:template name="pci-number">
    <xsl:param name="s"/>
    <xsl:param name="max"/>
    <xsl:variable name="base">
      <xsl:choose>
        <xsl:when test="starts-with($s, '0x') or starts-with($s, '0X')">16</xsl:when>
        <xsl:when test="starts-with($s, '0') and string-length($s) &gt; 1">8</xsl:when>
        <xsl:otherwise>10</xsl:otherwise>
      </xsl:choose>
    </xsl:variable>
    <xsl:variable name="digits">
      <xsl:choose>
        <xsl:when test="$base = 16">
          <xsl:value-of select="substring($s, 3)"/>
        </xsl:when>
        <xsl:when test="$base = 8">
          <xsl:value-of select="substring($s, 2)"/>
        </xsl:when>
        <xsl:otherwise>
          <xsl:value-of select="$s"/>
        </xsl:otherwise>
      </xsl:choose>
    </xsl:variable>
    <xsl:variable name="allowed" select="substring('01234567890123456789abcdefABCDEF', 1, number($base = 8) * 8 + number($base = 10) * 10 + number($base = 16) * 32)"/>
    <xsl:choose>
      <xsl:when test="$digits = '' or translate($digits, $allowed, '') != ''">invalid</xsl:when>
      <xsl:otherwise>
        <xsl:variable name="value">
          <xsl:call-template name="digits">
            <xsl:with-param name="s" select="$digits"/>
            <xsl:with-param name="base" select="number($base)"/>
          </xsl:call-template>
        </xsl:variable>
        <xsl:variable name="decimal">
          <xsl:call-template name="digits">
            <xsl:with-param name="s" select="$digits"/>
            <xsl:with-param name="base" select="10"/>
          </xsl:call-template>
        </xsl:variable>
        <xsl:choose>
          <xsl:when test="number($value) &gt; number($max)">out-of-range</xsl:when>
          <xsl:when test="$base = 8 and number($decimal) != number($value)">
            <xsl:value-of select="concat('octal ', $value)"/>
          </xsl:when>
          <xsl:otherwise>
            <xsl:value-of select="concat('ok ', $value)"/>
          </xsl:otherwise>
        </xsl:choose>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <!-- The value of a string of digits that are all valid in BASE. Halves
       the string at each step, so a long one (leading zeros) costs a
       recursion depth of its length's logarithm, not its length. -->
  <xsl:template name="digits">
    <xsl:param name="s"/>
    <xsl:param name="base"/>
    <xsl:variable name="len" select="string-length($s)"/>
    <xsl:choose>
      <xsl:when test="$len = 1">
        <xsl:value-of select="string-length(substring-before('0123456789abcdef', translate($s, 'ABCDEF', 'abcdef')))"/>
      </xsl:when>
      <xsl:otherwise>
        <xsl:variable name="half" select="floor($len div 2)"/>
        <xsl:variable name="high">
          <xsl:call-template name="digits">
            <xsl:with-param name="s" select="substring($s, 1, $half)"/>
            <xsl:with-param name="base" select="$base"/>
          </xsl:call-template>
        </xsl:variable>
        <xsl:variable name="low">
          <xsl:call-template name="digits">
            <xsl:with-param name="s" select="substring($s, $half + 1)"/>
            <xsl:with-param name="base" select="$base"/>
          </xsl:call-template>
        </xsl:variable>
        <xsl:choose>
          <!-- leading zeros: 0 times a power too large for a double is not a number -->
          <xsl:when test="number($high) = 0">
            <xsl:value-of select="$low"/>
          </xsl:when>
          <xsl:otherwise>
            <xsl:variable name="scale">
              <xsl:call-template name="power">
                <xsl:with-param name="base" select="$base"/>
                <xsl:with-param name="n" select="$len - $half"/>
              </xsl:call-template>
            </xsl:variable>
            <xsl:value-of select="number($high) * number($scale) + number($low)"/>
          </xsl:otherwise>
        </xsl:choose>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template name="power">
    <xsl:param name="base"/>
    <xsl:param name="n"/>
    <xsl:choose>
      <xsl:when test="$n = 0">1</xsl:when>
      <xsl:otherwise>
        <xsl:variable name="h">
          <xsl:call-template name="power">
            <xsl:with-param name="base" select="$base"/>
            <xsl:with-param name="n" select="floor($n div 2)"/>
          </xsl:call-template>
        </xsl:variable>
        <xsl:value-of select="number($h) * number($h) * (1 + ($base - 1) * ($n mod 2))"/>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template name="hex">
    <xsl:param name="n"/>
    <xsl:param name="width"/>
    <xsl:variable name="digits">
      <xsl:call-template name="to-hex">
        <xsl:with-param name="n" select="number($n)"/>
      </xsl:call-template>
    </xsl:variable>
    <xsl:value-of select="concat('0x', substring('0000', 1, $width - string-length($digits)), $digits)"/>
  </xsl:template>

  <xsl:template name="to-hex">
    <xsl:param name="n"/>
    <xsl:if test="$n &gt;= 16">
      <xsl:call-template name="to-hex">
        <xsl:with-param name="n" select="floor($n div 16)"/>
      </xsl:call-template>
    </xsl:if>
    <xsl:value-of select="substring('0123456789abcdef', ($n mod 16) + 1, 1)"/>
  </xsl:template>
</xsl:stylesheet>
